"""SpecialistSet: calls go to the network trained at their factor pair; one file holds them all."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmagic_cstvr.archs import BlindResampler, DownNet, LRDownNet, SpecialistSet
from mmagic_cstvr.engine.weights import (build_generator, fit_member, load_generator, read_weights, save_weights)
from mmagic_cstvr.errors import WeightsError

ROOT = Path(__file__).resolve().parents[1]
V3 = dict(type='CSTVRResampler', design='lr-grid', down=dict(channels=8, frame_blocks=1, blocks=1),
          imsm=dict(cells=1, growth=4), up=dict(channels=8, frame_blocks=1, blocks=1))
V2 = dict(type='CSTVRResampler', down=dict(channels=8, blocks=1, hidden=16, stem_shuffle=2),
          imsm=dict(cells=1, growth=4), up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))


def perturbed(cfg, seed):
    torch.manual_seed(seed)
    net = build_generator(cfg)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return net.eval()


@pytest.fixture(scope='module')
def members():
    return perturbed(V2, 0), perturbed(V3, 1), perturbed(V3, 2)


def test_calls_go_to_the_specialist_of_their_factors(members):
    general, s2x4, time_only = members
    model = SpecialistSet(general, {(2, 4): s2x4, (None, 1): time_only})
    assert model.pick(2, (64, 96), (16, 24)) is s2x4
    assert model.pick(2, (64, 96), (64, 96)) is time_only
    assert model.pick(1.25, (64, 96), (64, 96)) is time_only
    assert model.pick(2, (64, 96), (32, 48)) is general
    assert model.pick(3, (64, 96), (16, 24)) is general
    hr = torch.rand(1, 3, 5, 32, 48)
    with torch.no_grad():
        lr = model.downsample(hr, (8, 12), [0, 2, 4], 2.0)
        assert torch.equal(lr, s2x4.downsample(hr, (8, 12), [0, 2, 4], 2.0))
        up = model.upsample(lr, (32, 48), [0, 0.5, 1, 1.5, 2], 0.5)
        assert torch.equal(up, s2x4.upsample(lr, (32, 48), [0, 0.5, 1, 1.5, 2], 0.5))
        assert torch.equal(model(hr, 2, 4)['output'], s2x4(hr, 2, 4)['output'])
        assert torch.equal(model(hr, 2, 2)['output'], general(hr, 2, 2)['output'])


def test_members_of_different_modes_are_refused(members):
    with pytest.raises(ValueError, match='one mode'):
        SpecialistSet(members[0], {(2, 4): BlindResampler(up=V3['up'], design='lr-grid')})


def test_a_set_round_trips_through_one_weights_file(members, tmp_path):
    general, s2x4, _ = members
    model = SpecialistSet(general, {(2, 4): s2x4})
    cfg = dict(type='SpecialistSet', general=V2,
               specialists=[dict(factors=[2, 4], generator=V3)])
    path = save_weights(model, cfg, tmp_path / 'set.safetensors')
    loaded = load_generator(path)
    hr = torch.rand(1, 3, 5, 32, 48)
    with torch.no_grad():
        for scale in (4, 2):
            assert torch.equal(loaded(hr, 2, scale)['output'], model(hr, 2, scale)['output'])


def test_malformed_set_config_is_a_weights_error():
    with pytest.raises(WeightsError, match='SpecialistSet'):
        build_generator(dict(type='SpecialistSet', general=V2))


def test_files_without_a_design_are_version_2_and_version_3_files_say_so(tmp_path):
    assert isinstance(build_generator(V2).down_net, DownNet)
    assert isinstance(build_generator(V3).down_net, LRDownNet)
    path = save_weights(build_generator(V2), V2, tmp_path / 'v2.safetensors')
    assert isinstance(load_generator(path).down_net, DownNet)


def test_compose_tool_writes_a_set_that_loads(members, tmp_path):
    general, s2x4, time_only = members
    files = {}
    for name, net, cfg in (('general', general, V2), ('s2x4', s2x4, V3), ('t', time_only, V3)):
        files[name] = save_weights(net, cfg, tmp_path / f'{name}.safetensors')
    out = tmp_path / 'set.safetensors'
    subprocess.run([sys.executable, str(ROOT / 'tools' / 'compose_specialists.py'), str(out),
                    '--general', str(files['general']), '--specialist', f'2x4={files["s2x4"]}',
                    '--specialist', f'*x1={files["t"]}'], check=True, cwd=ROOT)
    model = load_generator(out)
    assert isinstance(model, SpecialistSet) and model.factors == [(2.0, 4.0), (None, 1.0)]
    hr = torch.rand(1, 3, 5, 16, 24)
    with torch.no_grad():
        assert torch.equal(model(hr, 1.25, 1)['output'], time_only(hr, 1.25, 1)['output'])


def test_fine_tuning_starts_from_the_member_that_fits(members, tmp_path):
    general, s2x4, _ = members
    cfg = dict(type='SpecialistSet', general=V2, specialists=[dict(factors=[2, 4], generator=V3)])
    path = save_weights(SpecialistSet(general, {(2, 4): s2x4}), cfg, tmp_path / 'set.safetensors')
    _, state, embedded = read_weights(path)
    fresh = build_generator(V3)
    assert fit_member(fresh, state, embedded, path) == 'specialist 2x4'
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(),
                                                 s2x4.state_dict().values()))
    assert fit_member(build_generator(V2), state, embedded, path) == 'general'
    with pytest.raises(WeightsError, match=r'does not fit the BlindResampler network \(general: '
                                           r'.*; specialist 2x4: '):
        fit_member(BlindResampler(up=V3['up'], design='lr-grid'), state, embedded, path)


@pytest.mark.parametrize('name', ['steg', 'blind'])
def test_shipped_models_send_2x4_calls_to_their_lr_grid_specialist(name):
    """The shipped files fit the 25 MB budget; at 2x/4x a call goes to the version-3 (LR-grid)
    specialist trained there, at other factor pairs to the continuous general network, itself
    a version-3 network in the same design."""
    path = ROOT / 'mmagic_cstvr' / 'model_zoo' / f'{name}.safetensors'
    assert path.stat().st_size <= 25e6
    model = load_generator(name)
    assert isinstance(model, SpecialistSet)
    specialist = model.pick(2, (360, 640), (90, 160))
    assert specialist is not model.general and type(specialist.up_net).__name__ == 'LRUpNet'
    assert model.pick(1, (360, 640), (144, 256)) is model.general
    for factor, lr_size in ((2, (180, 320)), (1.25, (240, 427))):
        net = model.pick(factor, (360, 640), lr_size)
        assert net is model.general if name == 'blind' else net.spatial is model.general
    assert model.general.design == 'lr-grid' and type(model.general.up_net).__name__ == 'LRUpNet'


def test_shipped_blind_sends_2x1_calls_to_its_frame_synthesis_network():
    model = load_generator('blind')
    net = model.pick(2, (360, 640), (360, 640))
    assert type(net.up_net).__name__ == 'FrameSynthesisNet'
    assert net.up_net.flow_ensemble == [(preset, view) for preset in ('fine', 'medium')
                                        for view in ('identity', 'flip', 'transpose')]
    at_5_4 = model.pick(1.25, (360, 640), (360, 640))  # version 2 stays at 5/4 (model card)
    assert at_5_4 is not model.general and at_5_4.design == 'full-res'
    assert model.pick(1.5, (360, 640), (360, 640)) is model.general


def test_shipped_steg_sends_time_only_calls_to_its_hidden_motion_network():
    model = load_generator('steg')
    for factor in (2, 1.25, 3, 5, 8):
        assert type(model.pick(factor, (360, 640), (360, 640))).__name__ == 'HiddenMotionResampler'
    assert model.pick(9, (360, 640), (360, 640)) is model.general


def test_shipped_steg_moves_its_general_networks_key_frames_by_the_hidden_motion():
    """Space-time pairs without a specialist: the general network resamples the kept frames in
    space, the hidden motion rebuilds the dropped ones (up to 8x in time)."""
    model = load_generator('steg')
    hidden = model.pick(2, (360, 640), (360, 640))
    for factor, lr_size in ((2, (180, 320)), (5, (144, 256)), (1.25, (240, 427))):
        net = model.pick(factor, (360, 640), lr_size)
        assert net.motion is hidden and net.spatial is model.general
    assert model.pick(9, (360, 640), (180, 320)) is model.general
