"""Tests of the training figures: each writes a real image, and what it draws is right.

The trainers here are tiny (one hidden layer of 16, 20 steps): the tests check the plumbing
and the numbers behind the pictures, not the quality of a GAN.
"""

import math
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from tinygan.gan import Trainer
from tinygan.steps import g_gradients
from tinygan import plots as tp
from tinygan.questions import landscape
from tinygan.plots import curves, snapshots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = dict(steps=20, batch_size=64, eval_every=0, g_hidden=(16,), d_hidden=(16,))


def tiny(data="ring", **options):
    trainer = Trainer(data=data, **{**TINY, **options})
    trainer.train()
    return trainer


@pytest.fixture(scope="module")
def ring():
    return tiny("ring")


def fake_evaluations(steps, n_modes=8):
    """Evaluation dicts shaped like Trainer.evaluations on a mixture."""
    return [{"step": s, "modes": min(1 + i, n_modes), "n_modes": n_modes,
             "high_quality": 0.1 * i, "reverse_kl": 1.0 / (1 + i), "sliced_w": 0.5 / (1 + i)}
            for i, s in enumerate(steps)]


def assert_png(path, min_width=200, min_height=150):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert w >= min_width and h >= min_height, f"{path} is only {w}x{h}"
    assert img[..., :3].std() > 0.05, f"{path} looks blank"
    return img


# ------------------------------------------------------------------------ snapshot

def test_snapshot_2d_has_the_documented_shapes(ring):
    snap = landscape.snapshot(ring, n=100, grid=30, n_arrows=20, rng=np.random.default_rng(0))
    assert snap["step"] == 20 and snap["dim"] == 2
    assert snap["real"].shape == (100, 2) and snap["fake"].shape == (100, 2)
    assert snap["grid_x"].shape == (30,) and snap["grid_y"].shape == (30,)
    assert snap["d_grid"].shape == (30, 30)
    assert snap["arrows"].shape == (20, 2) and snap["arrow_index"].shape == (20,)
    assert snap["limits"].shape == (2, 2) and np.all(snap["limits"][:, 0] < snap["limits"][:, 1])
    np.testing.assert_allclose(snap["centers"], ring.data.centers)
    # the grid spans the limits exactly, and the limits contain every real sample
    assert snap["grid_x"][0] == snap["limits"][0, 0] and snap["grid_y"][-1] == snap["limits"][1, 1]
    assert np.all((snap["real"] > snap["limits"][:, 0]) & (snap["real"] < snap["limits"][:, 1]))


def test_snapshot_heatmap_is_D_of_the_grid_points(ring):
    snap = landscape.snapshot(ring, n=64, grid=25)
    d = snap["d_grid"]
    assert np.all((d >= 0) & (d <= 1)), "a sigmoid loss gives probabilities"
    # d_grid[i, j] is D at (grid_x[j], grid_y[i])
    i, j = 3, 17
    point = np.array([[snap["grid_x"][j], snap["grid_y"][i]]], dtype=ring.dtype)
    expected = 1 / (1 + np.exp(-ring.D(ring.to_model(point))[0, 0]))   # D works in model units
    assert d[i, j] == pytest.approx(expected, rel=1e-5)


def test_snapshot_arrows_are_minus_dx_from_g_gradients(ring):
    n = 128
    snap = landscape.snapshot(ring, n=n, n_arrows=40, rng=np.random.default_rng(7))
    # snapshot draws z first from its rng, so the same seed gives the same z
    z = np.random.default_rng(7).standard_normal((n, ring.config.z_dim), dtype=ring.dtype)
    _, _, info = g_gradients(ring.G, ring.D, ring.loss, z, g_params=ring.g_params)
    # G and D work in the data's standard units: the snapshot maps back to the data's
    np.testing.assert_array_equal(snap["fake"], ring.to_data(info["x_fake"]))
    np.testing.assert_array_equal(snap["arrows"], -info["dx"][snap["arrow_index"]] / ring.scale)
    assert np.abs(snap["arrows"]).max() > 0, "a trained D gives G a non-zero push"
    # and the fakes are what trainer.sample draws from the same rng
    np.testing.assert_array_equal(snap["fake"], ring.sample(n, rng=np.random.default_rng(7)))
    # grad_norm is the mean per-sample gradient, as recorded in history
    per_sample = np.linalg.norm(info["dx"] / ring.scale, axis=1) * n
    assert snap["grad_norm"] == pytest.approx(per_sample.mean(), rel=1e-5)


def test_snapshot_does_not_touch_the_training_stream():
    a, b = tiny("ring"), tiny("ring")
    landscape.snapshot(a)
    a.train(5)
    b.train(5)
    np.testing.assert_array_equal(a.history["g_loss"], b.history["g_loss"])


def test_snapshot_limits_are_the_same_at_every_step():
    trainer = Trainer(data="moons", **TINY)
    first = landscape.snapshot(trainer, n=32, grid=10)
    trainer.train()
    last = landscape.snapshot(trainer, n=32, grid=10)
    np.testing.assert_array_equal(first["limits"], last["limits"])


def test_snapshot_of_a_critic_is_a_raw_score():
    trainer = tiny("ring", loss="wasserstein")
    snap = landscape.snapshot(trainer, n=32, grid=12)
    assert not snap["uses_sigmoid"]
    point = np.array([[snap["grid_x"][0], snap["grid_y"][0]]], dtype=trainer.dtype)
    assert snap["d_grid"][0, 0] == pytest.approx(trainer.D(trainer.to_model(point))[0, 0], rel=1e-5)


def test_snapshot_1d_shapes():
    trainer = tiny("gaussian1d")
    snap = landscape.snapshot(trainer, n=50, grid=40, n_arrows=10)
    assert snap["dim"] == 1 and snap["real"].shape == (50, 1) and snap["fake"].shape == (50, 1)
    assert snap["grid_x"].shape == (40,) and snap["d_grid"].shape == (40,)
    assert snap["arrows"].shape == (10, 1) and snap["limits"].shape == (1, 2)
    assert "grid_y" not in snap


def test_snapshot_rejects_image_data():
    trainer = Trainer(data="digits", **TINY)
    with pytest.raises(ValueError, match="dim 64"):
        landscape.snapshot(trainer)


def test_snapshot_rejects_bad_sizes_and_limits(ring):
    with pytest.raises(ValueError, match="grid"):
        landscape.snapshot(ring, grid=1)
    with pytest.raises(ValueError, match="limits"):
        landscape.snapshot(ring, limits=[[0, 1]])


def test_scaled_arrows_keep_direction_and_cap_length():
    arrows = np.array([[3.0, 4.0], [0.0, 1e-3], [300.0, 0.0], [0.0, -2.0]])
    out = snapshots._scaled_arrows(arrows, span=10.0)
    unit_in = arrows / np.linalg.norm(arrows, axis=1, keepdims=True)
    unit_out = out / np.linalg.norm(out, axis=1, keepdims=True)
    np.testing.assert_allclose(unit_out, unit_in, atol=1e-12)
    assert np.linalg.norm(out, axis=1).max() <= 1.6 * 0.09 * 10.0 + 1e-12
    np.testing.assert_array_equal(snapshots._scaled_arrows(np.zeros((3, 2)), 10.0), 0.0)


# ------------------------------------------------------------------------ figures

def test_plot_snapshot_writes_a_png(ring, tmp_path):
    snap = landscape.snapshot(ring, n=128, grid=30)
    fig = tp.plot_snapshot(snap, path=tmp_path / "snap.png")
    assert_png(tmp_path / "snap.png")
    ax = fig.axes[0]
    assert "Step 20" in ax.get_title()
    assert len(ax.images) == 1 and len(ax.collections) >= 3   # heatmap; samples, arrows
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "real data" in labels and "generated G(z)" in labels


def test_plot_snapshot_1d_writes_a_png(tmp_path):
    snap = landscape.snapshot(tiny("gaussian1d"), n=128, grid=50)
    tp.plot_snapshot(snap, path=tmp_path / "snap1d.png")
    assert_png(tmp_path / "snap1d.png")


def test_plot_snapshot_marks_samples_outside_the_view(ring, tmp_path):
    snap = landscape.snapshot(ring, n=64, grid=20, limits=[[-0.1, 0.1], [-0.1, 0.1]])
    fig = tp.plot_snapshot(snap)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("outside the view" in t for t in labels)


def test_plot_snapshot_rejects_a_non_snapshot():
    with pytest.raises(ValueError, match="snapshot"):
        tp.plot_snapshot({"step": 3})


def test_animate_writes_a_gif_with_one_frame_per_snapshot(tmp_path):
    trainer = Trainer(data="ring", **TINY)
    snaps = []
    for _ in range(3):
        trainer.train(4)
        snaps.append(landscape.snapshot(trainer, n=64, grid=20))
    path = tp.animate(snaps, tmp_path / "run.gif", fps=4)
    assert path == str(tmp_path / "run.gif")
    assert Path(path).read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    with Image.open(path) as gif:
        assert gif.n_frames == 3
        assert gif.size[0] <= 450          # a 5-inch figure at 80 dpi
    with pytest.raises(ValueError, match="at least one"):
        tp.animate([], tmp_path / "empty.gif")


def test_plot_curves_with_evaluations_has_five_panels(ring, tmp_path):
    evals = fake_evaluations([5, 10, 15, 20])
    fig = tp.plot_curves(ring.history, evals, path=tmp_path / "curves.png", title="tiny ring",
                         loss="nonsaturating")
    assert_png(tmp_path / "curves.png", min_height=600)
    main = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left")[:3] for ax in main] == ["(a)", "(b)", "(c)", "(d)", "(e)"]
    assert main[-1].get_yscale() == "log"
    # the log 2 reference line of the BCE losses is drawn in panel (a)
    assert any(np.allclose(line.get_ydata(), math.log(2)) for line in main[0].get_lines()
               if len(line.get_ydata()) == 2)
    # panel (d) plots the modes captured at the evaluation steps
    modes_line = main[3].get_lines()[0]
    np.testing.assert_array_equal(modes_line.get_xdata(), [5, 10, 15, 20])
    np.testing.assert_array_equal(modes_line.get_ydata(), [1, 2, 3, 4])


def test_plot_curves_without_evaluations_has_three_panels(ring):
    fig = tp.plot_curves(ring.history, [])
    assert len([ax for ax in fig.axes if ax.get_title(loc="left")]) == 3


def test_plot_curves_1d_uses_w1():
    trainer = tiny("gaussian1d")
    fig = tp.plot_curves(trainer.history, [{"step": 10, "w1": 0.3}, {"step": 20, "w1": 0.2}])
    last = [ax for ax in fig.axes if ax.get_title(loc="left")][-1]
    assert "Distance" in last.get_title(loc="left")
    assert "Wasserstein-1" in last.get_legend().get_texts()[0].get_text()


def test_plot_curves_of_a_critic_draws_no_log2_line():
    trainer = tiny("ring", loss="wasserstein")
    fig = tp.plot_curves(trainer.history, [], loss="wasserstein")
    ax = fig.axes[0]
    assert not any(np.allclose(line.get_ydata(), math.log(2)) for line in ax.get_lines()
                   if len(line.get_ydata()) == 2)
    assert fig.axes[2].get_ylabel() == "critic score"


def test_smoothing_is_a_centred_moving_average():
    y = np.arange(10.0)
    np.testing.assert_allclose(curves._smooth(y, 3)[1:-1], y[1:-1])    # linear: unchanged inside
    assert curves._smooth(y, 3)[0] == pytest.approx(0.5)                # shrunken window at the end
    noisy = np.random.default_rng(0).standard_normal(2000)
    assert curves._smooth(noisy, 51).std() < 0.3 * noisy.std()


def test_plot_curves_rejects_empty_or_broken_history(ring):
    with pytest.raises(ValueError, match="empty"):
        tp.plot_curves(Trainer(data="ring", **TINY).history, [])
    with pytest.raises(ValueError, match="g_loss"):
        tp.plot_curves({k: v for k, v in ring.history.items() if k != "g_loss"}, [])
    broken = dict(ring.history, d_real=ring.history["d_real"][:-1])
    with pytest.raises(ValueError, match="d_real"):
        tp.plot_curves(broken, [])


def test_plot_gradient_norms_writes_a_png(ring, tmp_path):
    fig = tp.plot_gradient_norms(ring.history, path=tmp_path / "grads.png")
    assert_png(tmp_path / "grads.png")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(ax.get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="empty"):
        tp.plot_gradient_norms(Trainer(data="ring", **TINY).history)


def test_plot_image_grid_lays_out_images(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(10, 64))
    fig = tp.plot_image_grid(images, 8, path=tmp_path / "grid.png", nrow=5,
                             title="ten images", labels=list(range(10)))
    assert_png(tmp_path / "grid.png", min_width=150, min_height=60)
    ax = fig.axes[0]
    mosaic = ax.images[0].get_array()
    # 2 rows of 5: image 7 (row 1, column 2) sits where the layout says, unchanged
    gap, top = 1, math.ceil(0.45 * 8)
    y0, x0 = 1 * (8 + top) + top, 2 * (8 + gap) + gap
    np.testing.assert_array_equal(mosaic[y0:y0 + 8, x0:x0 + 8], images[7].reshape(8, 8))
    assert [t.get_text() for t in ax.texts] == [str(i) for i in range(10)]
    assert not ax.axison


def test_plot_image_grid_draws_generated_digits(tmp_path):
    trainer = Trainer(data="digits", **{**TINY, "g_output": "tanh"})
    images = trainer.sample(16, rng=np.random.default_rng(0))
    tp.plot_image_grid(images, trainer.data.size, path=tmp_path / "digits.png")
    assert_png(tmp_path / "digits.png", min_width=150, min_height=150)


def test_plot_image_grid_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(n, 64\)"):
        tp.plot_image_grid(np.zeros((4, 63)), 8)
    with pytest.raises(ValueError, match="labels"):
        tp.plot_image_grid(np.zeros((4, 64)), 8, labels=[1, 2])


@pytest.mark.parametrize("values", [[0.631, 0.708], [0.128, 0.27], [1e-3, 3.0], [0.4, 0.4]])
def test_log_ticks_are_round_numbers_inside_the_range(values):
    fig, ax = plt.subplots()
    ax.set_yscale("log")
    ax.plot([0, 1], values)
    curves._log_ticks(ax, values)
    ticks = ax.yaxis.get_major_locator()()
    assert len(ticks) >= 2
    assert all(min(values) <= t <= max(values) for t in ticks)
    labels = [ax.yaxis.get_major_formatter()(t) for t in ticks]
    assert all("10^" not in lab and "times" not in lab for lab in labels), labels
    plt.close(fig)


def test_snapshot_of_a_packed_discriminator_uses_whole_packs():
    """PacGAN's D judges m samples at once: the arrows come from packs of m, and the heatmap
    shows D's score of a pack of m copies of each grid point."""
    t = tiny("ring", pack=3, batch_size=66)
    snap = landscape.snapshot(t, n=100, grid=9, rng=np.random.default_rng(3))
    assert len(snap["fake"]) == 99            # 33 whole packs of 3
    point = np.array([[snap["grid_x"][4], snap["grid_y"][2]]], dtype=t.dtype)
    expected = 1 / (1 + np.exp(-t.D(np.tile(t.to_model(point), (1, 3)))[0, 0]))
    assert snap["d_grid"][2, 4] == pytest.approx(expected, rel=1e-5)
    z = np.random.default_rng(3).standard_normal((100, t.config.z_dim), dtype=t.dtype)
    _, _, info = g_gradients(t.G, t.D, t.loss, z[:99], pack=3, g_params=t.g_params)
    np.testing.assert_array_equal(snap["arrows"], -info["dx"][snap["arrow_index"]] / t.scale)
