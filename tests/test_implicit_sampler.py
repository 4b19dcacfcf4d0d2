"""The 3-D implicit sampler: trilinear identities, chunking, scale code, devices."""
import pytest
import torch
import torch.nn.functional as F

from mmagic_cstvr.archs import ImplicitSampler3D, trilinear_sample
from mmagic_cstvr.structures.lattice import pixel_centres


def _coords(src, dst):
    return [pixel_centres(o, i, dtype=torch.float64) for i, o in zip(src, dst)]


@pytest.mark.parametrize('dst', [(8, 12, 20), (5, 9, 11), (4, 6, 10), (11, 23, 37), (3, 5, 7)])
def test_trilinear_sample_equals_interpolate(dst):
    feat = torch.rand(2, 3, 4, 6, 10, dtype=torch.float64)
    ct, cy, cx = _coords(feat.shape[2:], dst)
    ours = trilinear_sample(feat, ct, cy, cx)
    ref = F.interpolate(feat, size=dst, mode='trilinear', align_corners=False)
    assert torch.allclose(ours, ref, atol=1e-12)


def _identity_sampler(channels=3):
    """A sampler whose shortcut is the identity: it must be plain trilinear interpolation."""
    sampler = ImplicitSampler3D(channels, hidden=16, out_channels=channels).double()
    dw, pw = sampler.shortcut
    with torch.no_grad():
        dw.weight.zero_()
        dw.weight[:, :, 1, 1, 1] = 1
        dw.bias.zero_()
        pw.weight.copy_(torch.eye(channels).view(channels, channels, 1, 1, 1))
        pw.bias.zero_()
    return sampler


@pytest.mark.parametrize('dst', [(8, 12, 20), (5, 15, 25), (3, 4, 7)])
def test_sampler_on_identity_features_is_trilinear(dst):
    sampler = _identity_sampler()
    feat = torch.rand(1, 3, 4, 6, 10, dtype=torch.float64)
    ct, cy, cx = _coords(feat.shape[2:], dst)
    out = sampler(feat, ct, cy, cx, cell=[i / o for i, o in zip(feat.shape[2:], dst)])
    ref = F.interpolate(feat, size=dst, mode='trilinear', align_corners=False)
    assert torch.allclose(out, ref, atol=1e-12)


def test_sampler_reproduces_input_at_factor_one():
    sampler = _identity_sampler()
    feat = torch.rand(1, 3, 4, 6, 10, dtype=torch.float64)
    ct, cy, cx = (torch.arange(n, dtype=torch.float64) for n in feat.shape[2:])
    assert torch.allclose(sampler(feat, ct, cy, cx, cell=(1, 1, 1)), feat, atol=1e-12)


def test_chunked_evaluation_matches_one_block_and_scale_code_matters():
    torch.manual_seed(0)
    sampler = ImplicitSampler3D(4, hidden=16, out_channels=3).double()
    for p in sampler.mlp.parameters():  # undo the zero init so the MLP contributes
        torch.nn.init.normal_(p, std=0.3)
    feat = torch.rand(1, 4, 3, 5, 6, dtype=torch.float64)
    ct = torch.tensor([0, 0.5, 1, 1.5, 2], dtype=torch.float64)
    cy, cx = pixel_centres(13, 5, dtype=torch.float64), pixel_centres(9, 6, dtype=torch.float64)
    whole = sampler(feat, ct, cy, cx, cell=(0.5, 5 / 13, 6 / 9))
    sampler.max_points = 9 * 2  # two rows per block: many blocks with halos
    chunked = sampler(feat, ct, cy, cx, cell=(0.5, 5 / 13, 6 / 9))
    assert torch.allclose(whole, chunked, atol=1e-12)
    other_scale = sampler(feat, ct, cy, cx, cell=(0.25, 5 / 13, 6 / 9))
    assert not torch.allclose(whole, other_scale)


def test_sampler_rejects_wrong_feature_shape():
    with pytest.raises(ValueError, match='expected features'):
        ImplicitSampler3D(4)(torch.rand(1, 3, 2, 4, 4), *(torch.zeros(1),) * 3, cell=(1, 1, 1))


def _reference_sampler(sampler, feat, ct, cy, cx, cell):
    """The sampler as documented: the 27 + 8C input built explicitly for every output sample."""
    from mmagic_cstvr.archs.implicit_sampler import axis_corners
    code = torch.log2(torch.tensor(cell, dtype=feat.dtype))
    cl = feat.permute(0, 2, 3, 4, 1)
    (it, wt, dt), (iy, wy, dy), (ix, wx, dx) = (axis_corners(c, n) for c, n in
                                                zip((ct, cy, cx), cl.shape[1:4]))
    lattice = (len(ct), len(cy), len(cx))
    offsets, features = [], []
    for a in range(2):
        for b in range(2):
            for c in range(2):
                g = cl[:, it[a]][:, :, iy[b]][:, :, :, ix[c]]
                w = wt[a].view(-1, 1, 1) * wy[b].view(1, -1, 1) * wx[c].view(1, 1, -1)
                features.append(g * w.unsqueeze(-1))
                offsets += [dt[a].view(-1, 1, 1).expand(lattice), dy[b].view(1, -1, 1).expand(lattice),
                            dx[c].view(1, 1, -1).expand(lattice)]
    geometry = torch.stack(offsets + [code[i].expand(lattice) for i in range(3)], -1)
    x = sampler.embed(torch.cat([geometry.unsqueeze(0).expand(feat.shape[0], -1, -1, -1, -1)]
                                + features, -1))
    x = sampler.lattice_conv(x.permute(0, 4, 1, 2, 3))
    x = sampler.mlp(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)
    return trilinear_sample(sampler.shortcut(feat), ct, cy, cx) + x


@pytest.mark.parametrize('src, dst', [((3, 5, 6), (6, 20, 24)),  # 4x: projection first
                                      ((3, 5, 6), (5, 10, 12)),  # 2x: projection first
                                      ((3, 5, 6), (6, 5, 6)),    # time only: gather first
                                      ((6, 12, 16), (3, 4, 5))])  # downsample: gather first
def test_sampler_equals_the_explicit_mlp_input(src, dst):
    torch.manual_seed(1)
    sampler = ImplicitSampler3D(4, hidden=16, out_channels=3).double()
    for p in sampler.parameters():
        torch.nn.init.normal_(p, std=0.3)
    sampler.max_points = 40  # many blocks with halos
    feat = torch.rand(2, 4, *src, dtype=torch.float64)
    ct = torch.linspace(-0.25, src[0] - 0.5, dst[0], dtype=torch.float64)
    cy, cx = (pixel_centres(o, i, dtype=torch.float64) for i, o in zip(src[1:], dst[1:]))
    cell = [i / o for i, o in zip(src, dst)]
    assert torch.allclose(sampler(feat, ct, cy, cx, cell),
                          _reference_sampler(sampler, feat, ct, cy, cx, cell), atol=1e-10)
