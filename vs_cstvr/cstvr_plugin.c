/*
 * cstvr VapourSynth plugin: registers the `cstvr` namespace and hands every call to Python.
 *
 * The filters themselves are written in Python (package `vs_cstvr`). A native plugin is still
 * needed because only a plugin can add a namespace to the core. The hand-over works like this:
 *
 *   1. A public function (Downsample, Upsample) is called. Its argument map is copied and stored
 *      under a new integer token.
 *   2. The plugin takes the GIL (PyGILState_Ensure, after checking through dlsym that a Python
 *      interpreter is running in this process) and runs
 *          vs_cstvr.dispatch.create("<Function>", <token>)
 *   3. Python fetches the arguments with core.cstvr.CallArgs(token=...), which returns the stored map
 *      (the vapoursynth module turns its nodes into VideoNode objects), builds the filter graph and
 *      hands the result back with core.cstvr.CallResult(token=..., clip=...) or, on failure,
 *      core.cstvr.CallResult(token=..., error="...").
 *   4. The plugin returns that node, or sets the error.
 *
 * No Python object is kept here between calls and libpython is not linked: every Python symbol is
 * looked up with dlsym at call time, so the plugin loads in any host. In a host without Python the
 * public functions fail with a clear message instead of crashing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "VapourSynth4.h"

#define CSTVR_PLUGIN_VERSION VS_MAKE_VERSION(1, 0)

/* ---- Python entry points, resolved at call time ------------------------------------------ */

typedef int (*py_is_initialized_fn)(void);
typedef int (*py_gil_ensure_fn)(void);            /* PyGILState_STATE is an int-sized enum */
typedef void (*py_gil_release_fn)(int);
typedef int (*py_run_simple_string_flags_fn)(const char *, void *);

typedef struct {
    py_is_initialized_fn is_initialized;
    py_gil_ensure_fn gil_ensure;
    py_gil_release_fn gil_release;
    py_run_simple_string_flags_fn run;
} PythonApi;

static int load_python(PythonApi *py) {
    py->is_initialized = (py_is_initialized_fn)dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    py->gil_ensure = (py_gil_ensure_fn)dlsym(RTLD_DEFAULT, "PyGILState_Ensure");
    py->gil_release = (py_gil_release_fn)dlsym(RTLD_DEFAULT, "PyGILState_Release");
    py->run = (py_run_simple_string_flags_fn)dlsym(RTLD_DEFAULT, "PyRun_SimpleStringFlags");
    if (!py->is_initialized || !py->gil_ensure || !py->gil_release || !py->run)
        return 0;
    return py->is_initialized() != 0;
}

/* ---- calls in flight, keyed by token ----------------------------------------------------- */

typedef struct Call {
    int64_t token;
    VSMap *args;        /* the public function's arguments */
    VSNode *result;     /* set by CallResult(clip=...) */
    char *error;        /* set by CallResult(error=...) */
    struct Call *next;
} Call;

static pthread_mutex_t calls_lock = PTHREAD_MUTEX_INITIALIZER;
static Call *calls = NULL;
static int64_t next_token = 1;

static Call *call_new(VSMap *args) {
    Call *c = (Call *)calloc(1, sizeof(Call));
    if (!c)
        return NULL;
    c->args = args;
    pthread_mutex_lock(&calls_lock);
    c->token = next_token++;
    c->next = calls;
    calls = c;
    pthread_mutex_unlock(&calls_lock);
    return c;
}

/* Find a call; the caller must hold calls_lock. */
static Call *call_find(int64_t token) {
    for (Call *c = calls; c; c = c->next)
        if (c->token == token)
            return c;
    return NULL;
}

static void call_remove(Call *target) {
    pthread_mutex_lock(&calls_lock);
    for (Call **p = &calls; *p; p = &(*p)->next) {
        if (*p == target) {
            *p = target->next;
            break;
        }
    }
    pthread_mutex_unlock(&calls_lock);
}

/* ---- public functions --------------------------------------------------------------------- */

static void VS_CC public_create(const VSMap *in, VSMap *out, void *user_data, VSCore *core,
                                const VSAPI *vsapi) {
    (void)core;
    const char *name = (const char *)user_data;
    char message[1024];
    PythonApi py;
    if (!load_python(&py)) {
        snprintf(message, sizeof(message),
                 "%s: the cstvr filters are written in Python and need VapourSynth's Python module "
                 "in this process; run the script with vspipe or from Python (import vapoursynth)",
                 name);
        vsapi->mapSetError(out, message);
        return;
    }
    VSMap *args = vsapi->createMap();
    vsapi->copyMap(in, args);
    Call *call = call_new(args);
    if (!call) {
        vsapi->freeMap(args);
        vsapi->mapSetError(out, "cstvr: out of memory");
        return;
    }

    char code[256];
    snprintf(code, sizeof(code),
             "__import__('vs_cstvr.dispatch').dispatch.create('%s', %lld)", name,
             (long long)call->token);
    int gil = py.gil_ensure();
    int rc = py.run(code, NULL);
    py.gil_release(gil);

    call_remove(call);
    if (call->result) {
        vsapi->mapConsumeNode(out, "clip", call->result, maReplace);
        call->result = NULL;
    } else if (call->error) {
        vsapi->mapSetError(out, call->error);
    } else {
        snprintf(message, sizeof(message),
                 "%s: the Python side of the cstvr plugin failed before it could report an error%s; "
                 "is the cstvr package (module vs_cstvr) installed in the Python that runs "
                 "VapourSynth? The traceback was printed to stderr.",
                 name, rc ? "" : " (it returned no clip)");
        vsapi->mapSetError(out, message);
    }
    free(call->error);
    vsapi->freeMap(call->args);
    free(call);
}

/* ---- helpers for the Python side ---------------------------------------------------------- */

/* CallArgs(token): the stored arguments, plus `_token` so the Python side always gets a dict. */
static void VS_CC args_create(const VSMap *in, VSMap *out, void *user_data, VSCore *core,
                              const VSAPI *vsapi) {
    (void)user_data;
    (void)core;
    int64_t token = vsapi->mapGetInt(in, "token", 0, NULL);
    pthread_mutex_lock(&calls_lock);
    Call *c = call_find(token);
    if (c)
        vsapi->copyMap(c->args, out);
    pthread_mutex_unlock(&calls_lock);
    if (!c) {
        vsapi->mapSetError(out, "cstvr.CallArgs: unknown token (internal helper of the cstvr plugin)");
        return;
    }
    vsapi->mapSetInt(out, "_token", token, maReplace);
}

/* CallResult(token, clip | error): the result of a public function. */
static void VS_CC return_create(const VSMap *in, VSMap *out, void *user_data, VSCore *core,
                                const VSAPI *vsapi) {
    (void)user_data;
    (void)core;
    int err = 0;
    int64_t token = vsapi->mapGetInt(in, "token", 0, NULL);
    VSNode *node = vsapi->mapGetNode(in, "clip", 0, &err);
    if (err)
        node = NULL;
    const char *error = vsapi->mapGetData(in, "error", 0, &err);
    if (err)
        error = NULL;
    pthread_mutex_lock(&calls_lock);
    Call *c = call_find(token);
    if (c) {
        if (node) {
            if (c->result)
                vsapi->freeNode(c->result);
            c->result = node;
            node = NULL;
        }
        if (error) {
            free(c->error);
            c->error = strdup(error);
        }
    }
    pthread_mutex_unlock(&calls_lock);
    if (node)
        vsapi->freeNode(node);
    if (!c)
        vsapi->mapSetError(out, "cstvr.CallResult: unknown token (internal helper of the cstvr plugin)");
}

/* ---- registration ------------------------------------------------------------------------- */

#define COMMON_ARGS                                                                             \
    "model:data:opt;config:data:opt;device_index:int:opt;batch:int:opt;tile:int:opt;"             \
    "tile_overlap:int:opt;window:int:opt;scenechange:int:opt;sc_threshold:float:opt;"

VS_EXTERNAL_API(void) VapourSynthPluginInit2(VSPlugin *plugin, const VSPLUGINAPI *vspapi) {
    vspapi->configPlugin("org.cstvr.resample", "cstvr",
                         "CSTVR: continuous space-time video resampling with invertible motion "
                         "steganography",
                         CSTVR_PLUGIN_VERSION, VAPOURSYNTH_API_VERSION, 0, plugin);
    vspapi->registerFunction(
        "Downsample",
        "clip:vnode;factor_num:int:opt;factor_den:int:opt;fps_num:int:opt;fps_den:int:opt;"
        "scale:float:opt;width:int:opt;height:int:opt;hide_motion:int:opt;" COMMON_ARGS,
        "clip:vnode;", public_create, (void *)"Downsample", plugin);
    vspapi->registerFunction(
        "Upsample",
        "clip:vnode;factor_num:int:opt;factor_den:int:opt;fps_num:int:opt;fps_den:int:opt;"
        "scale:float:opt;width:int:opt;height:int:opt;mode:data:opt;bf16:int:opt;"
        "num_frames:int:opt;" COMMON_ARGS,
        "clip:vnode;", public_create, (void *)"Upsample", plugin);
    vspapi->registerFunction("CallArgs", "token:int;", "any", args_create, NULL, plugin);
    vspapi->registerFunction("CallResult", "token:int;clip:vnode:opt;error:data:opt;", "any",
                             return_create, NULL, plugin);
}
