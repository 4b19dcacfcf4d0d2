# Motion-compensated baseline: naive down; bicubic up, then interpolation in time along OpenCV's
# DIS optical flow. No parameters: python tools/test.py configs/cstvr-baseline_flow.py
_base_ = ['./cstvr-baseline_naive.py']

model = dict(generator=dict(type='FlowResampler'))
