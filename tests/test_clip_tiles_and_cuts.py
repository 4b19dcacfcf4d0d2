"""ClipResampler's spatial tiles and its scene-cut splitting of planned windows."""
import numpy as np
import pytest
import torch

from mmagic_cstvr.engine.clip_resampler import ClipResampler, tile_spans
from mmagic_cstvr.structures.timeline import TimeMap, plan_windows
from mmagic_cstvr.engine.weights import build_generator

STEG = dict(type='CSTVRResampler', down=dict(channels=8, blocks=1, hidden=16, stem_shuffle=2),
            imsm=dict(cells=1, growth=4),
            up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))


@pytest.mark.parametrize('n_src,n_dst,tile,overlap', [
    (2160, 540, 512, 32), (540, 2160, 512, 32), (1080, 720, 256, 16), (48, 24, 16, 8),
    (1081, 270, 256, 16), (100, 100, 30, 0), (64, 16, 64, 8), (64, 16, 0, 8)])
def test_tiles_cover_every_pixel_once_on_the_shared_grid(n_src, n_dst, tile, overlap):
    spans = tile_spans(n_src, n_dst, tile, overlap)
    kept = np.zeros(n_dst, int)
    for s in spans:
        kept[s.dst_lo + s.keep_lo:s.dst_lo + s.keep_hi] += 1
        # the tile's pixel grid is the frame's: equal source/destination ratios, aligned origins
        assert (s.src_hi - s.src_lo) * n_dst == (s.dst_hi - s.dst_lo) * n_src
        assert s.src_lo * n_dst == s.dst_lo * n_src
        assert 0 <= s.keep_lo < s.keep_hi <= s.dst_hi - s.dst_lo
    assert (kept == 1).all()
    if 0 < tile < max(n_src, n_dst) and n_src % 2 == 0 and n_dst % 2 == 0:
        assert len(spans) > 1
        hr = max(n_src, n_dst)
        assert max(max(s.src_hi - s.src_lo, s.dst_hi - s.dst_lo) for s in spans) <= \
            tile + 2 * overlap + 2 * hr // np.gcd(n_src, n_dst)


def test_tiled_run_matches_whole_frames_away_from_tile_edges():
    torch.manual_seed(0)
    gen = build_generator(STEG).eval()
    rng = np.random.default_rng(0)
    hr = rng.random((5, 32, 64, 3), dtype=np.float32)
    whole = ClipResampler(gen, 'down', 30, 15, 5, (16, 32))
    tiled = ClipResampler(gen, 'down', 30, 15, 5, (16, 32), tile=32, tile_overlap=32)
    w = whole.windows[0]
    a = whole.run([w], [hr[w.src_start:w.src_stop]])[0]
    b = tiled.run([w], [hr[w.src_start:w.src_stop]])[0]
    assert a.shape == b.shape
    assert np.abs(a - b).max() <= 2 / 255 + 1e-6  # the overlap covers the receptive field
    with pytest.raises(ValueError, match='tile'):
        ClipResampler(gen, 'down', 30, 15, 5, (16, 32), tile=-1)


@pytest.mark.parametrize('src,dst,cut', [(60, 30, 7), (60, 30, 8), (30, 24, 9), (24, 60, 5)])
def test_split_at_cuts_follows_plan_windows(src, dst, cut):
    gen = build_generator(STEG).eval()
    n = 20
    direction = 'down' if src > dst else 'up'
    c = ClipResampler(gen, direction, src, dst, n, (8, 8), window=50)  # one window: all frames
    assert len(c.windows) == 1
    pieces = c.split_at_cuts(c.windows[0], [cut])
    planned = plan_windows(TimeMap(src, dst), n, c.n_dst, 50, cuts=[cut])
    assert pieces == planned
    for p in pieces:  # no piece reads both sides of the cut
        assert p.src_stop <= cut or p.src_start >= cut
    assert c.split_at_cuts(c.windows[0], [0, n, 99]) == c.windows


def test_pieces_split_at_cuts_keep_the_networks_context():
    """A window cut at a scene cut found while running gives its pieces the context the network
    reads (here one LR frame on each side, for neighbour fusion), inside their scenes and the
    window's span."""
    from mmagic_cstvr.archs import BlindResampler
    model = BlindResampler(up=dict(channels=8, frame_blocks=1, blocks=1, motion='hr',
                                   neighbours=True), design='lr-grid').eval()
    c = ClipResampler(model, 'up', 12, 24, 20, (32, 48), src_size=(16, 24), window=8)
    window = c.windows[1]  # targets at LR positions 4 .. 7.5, reading LR frames 3 .. 9
    assert (window.src_start, window.src_stop) == (3, 10)
    pieces = c.split_at_cuts(window, [6])
    # without context the pieces would read [4, 6) and [6, 9)
    assert [(p.src_start, p.src_stop) for p in pieces] == [(3, 6), (6, 10)]
    for p in pieces:
        assert p.positions == tuple(float(c.time_map.position(j) - p.src_start)
                                    for j in range(p.dst_start, p.dst_stop))
