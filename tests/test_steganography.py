"""IMSM invertibility and the 8-bit straight-through quantiser."""
import pytest
import torch

from mmagic_cstvr.archs import IMSM, Quantize8Bit


def _randomised_imsm(cells=2, growth=8):
    """An IMSM whose cells are far from the identity (the zero-initialised layers randomised)."""
    torch.manual_seed(0)
    imsm = IMSM(cells, growth).double()
    with torch.no_grad():
        for name, p in imsm.named_parameters():
            if 'fuse' in name:
                p.normal_(std=0.05)
    return imsm


@pytest.mark.parametrize('shape', [(2, 3, 4, 16, 24), (1, 3, 1, 4, 4), (1, 3, 3, 12, 8)])
def test_reveal_inverts_hide_exactly(shape):
    imsm = _randomised_imsm()
    x = torch.rand(*shape, dtype=torch.float64)
    with torch.no_grad():
        stego = imsm.hide(x)
        back = imsm.reveal(stego)
    assert stego.shape == x.shape
    assert (stego - x).abs().max() > 1e-3  # the cells really transform
    assert ((back - x).norm() / x.norm()).item() < 1e-6


def test_untrained_imsm_is_identity():
    x = torch.rand(1, 3, 2, 8, 8)
    assert torch.equal(IMSM(1, 8).hide(x), x)


def test_imsm_refuses_sizes_not_divisible_by_four():
    with pytest.raises(ValueError, match='divisible by 4'):
        IMSM(1, 8).hide(torch.rand(1, 3, 2, 6, 8))


def test_quantiser_lattice_and_straight_through_gradient():
    x = torch.linspace(-0.2, 1.2, 1001, requires_grad=True)
    q = Quantize8Bit()(x)
    levels = q.detach() * 255
    assert torch.allclose(levels, levels.round(), atol=1e-4)
    assert q.min() == 0 and q.max() == 1
    q.sum().backward()
    inside = (x > 0) & (x < 1)
    assert torch.all(x.grad[inside] == 1)
    assert torch.all(x.grad[(x < 0) | (x > 1)] == 0)
