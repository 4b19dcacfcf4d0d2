"""VapourSynth front end of cstvr: ``core.cstvr.Downsample`` and ``core.cstvr.Upsample``.

A small native plugin (``cstvr_plugin.c``, built and installed by ``python -m vs_cstvr.build``)
registers the ``cstvr`` namespace and hands every call to :mod:`vs_cstvr.dispatch`. The filters are
built in Python on top of :class:`mmagic_cstvr.engine.clip_resampler.ClipResampler`, the engine the
other front ends share:

- :mod:`vs_cstvr.dispatch`: the hand-over from the C plugin (arguments in, clip or error out);
- :mod:`vs_cstvr.params`: the input clip check (the other arguments are defined and checked by
  :mod:`mmagic_cstvr.engine.arguments`, their target geometry worked out by
  :mod:`mmagic_cstvr.engine.targets`, both shared with the other front ends);
- :mod:`mmagic_cstvr.engine.runtime`: device, precision and the loaded-model cache (shared too);
- :mod:`vs_cstvr.frames`: VapourSynth frames <-> numpy, and frame properties;
- :mod:`vs_cstvr.cache`: the bounded cache of computed windows;
- :mod:`vs_cstvr.filters`: the output clip (FrameEval + ModifyFrame per frame, window by window).

Importing this package is light: nothing here imports torch, mmagic or vapoursynth.
"""

NAMESPACE = 'cstvr'
