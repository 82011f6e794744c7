"""The benchmark's configurations, as flowood's `GlowConfig::small` and `GlowConfig::paper`."""

PRESETS = {
    "small": dict(in_channels=1, image_size=32, levels=3, steps_per_level=8,
                  hidden_channels=128, coupling="affine", prior="act_norm_gaussian"),
    "paper": dict(in_channels=3, image_size=32, levels=3, steps_per_level=32,
                  hidden_channels=512, coupling="affine", prior="act_norm_gaussian"),
}
