"""A PyTorch twin of flowood's Glow: the same layers, the same parameter names, the same terms.

It loads a flowood safetensors export (`flowood export --model M --out X.safetensors`) as it
is: every module is named so that its `state_dict` keys are the export's tensor names
(docs/checkpoints.md, "Safetensors: tensor names"), and the configuration is read from the
file's metadata key `flowood.glow_config`. `forward(x)` returns, per image, the per-scale terms
`F_i` (flow log-det), `A_i` (prior log-det), `N_i` (Gaussian log-density) and
`lp_i = F_i + A_i + N_i`, whose sum over scales is `log p(x)` in nats, for the model input
`x = v/256 - 0.5 + 1/512` (evaluation) of pixel values `v`.

Built without a file (`Glow(config)`), it is initialised the way flowood initialises a fresh
model (random rotations for the 1x1 convolutions, N(0, 0.05) hidden convolutions, zero
output convolutions, data-dependent ActNorm through `initialize(x)`), for the benchmark.
"""

import json
import math

import torch
from torch import nn
from torch.nn import functional as F

CONFIG_METADATA_KEY = "flowood.glow_config"
#: Added to the coupling's raw scale before the sigmoid (flowood's SCALE_OFFSET).
SCALE_OFFSET = 2.0
#: The coupling network's output is multiplied by exp(OUTPUT_LOG_SCALE_FACTOR * out_logs).
OUTPUT_LOG_SCALE_FACTOR = 3.0
#: Standard deviation of the hidden convolutions' initial weights.
HIDDEN_INIT_STD = 0.05
#: Smallest standard deviation ActNorm's initialisation divides by.
MIN_STD = 1e-6
LOG_2PI = math.log(2.0 * math.pi)

def flow_channels(config, i):
    """Channels inside scale i: 4C at scale 0, doubled by each split-then-squeeze."""
    return config["in_channels"] * 4 * (1 << i)


def latent_shape(config, i):
    """[C, H, W] of the latent that scale i scores (half the channels unless it is the last)."""
    c = flow_channels(config, i)
    s = config["image_size"] >> (i + 1)
    return [c, s, s] if i + 1 == config["levels"] else [c // 2, s, s]


def flat_sum(x):
    """Per-image sum over every axis but the batch."""
    return x.flatten(1).sum(1)


class ActNorm(nn.Module):
    """`y = exp(log_scale) * (x + bias)`, per channel `[1, C, 1, 1]` or per element `[1, C, H, W]`."""

    def __init__(self, shape):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(shape))
        self.log_scale = nn.Parameter(torch.zeros(shape))
        self.register_buffer("initialized", torch.zeros(1, dtype=torch.long))
        self.fit_next = False

    def normalize(self, x):
        if self.fit_next:
            self.fit(x)
        return (x + self.bias) * self.log_scale.exp()

    @torch.no_grad()
    def fit(self, x):
        """flowood's data-dependent init: `bias = -mean`, `log_scale = -log(max(std, 1e-6))`."""
        axes = [0] if self.bias.shape[2] > 1 else [0, 2, 3]
        mean = x.mean(dim=axes, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=axes, keepdim=True)
        self.bias.copy_(-mean)
        self.log_scale.copy_(-var.sqrt().clamp_min(MIN_STD).log())
        self.initialized.fill_(1)
        self.fit_next = False

    def forward(self, x):
        positions = x.shape[2] * x.shape[3] // (self.bias.shape[2] * self.bias.shape[3])
        y = self.normalize(x)
        return y, self.log_scale.sum() * positions


class InvConv1x1(nn.Module):
    """`y = W x` per pixel, `W = P (tril(lower,-1) + I) (triu(upper,1) + diag(sign * exp(log_s)))`.

    `P[r] = I[permutation[r]]`. The diagonal is built as `eye * v` (broadcast over columns),
    which equals `diag(v)` and, unlike `torch.diag`, exports to ONNX.
    """

    def __init__(self, channels, generator=None):
        super().__init__()
        rotation, _ = torch.linalg.qr(torch.randn(channels, channels, generator=generator,
                                                  dtype=torch.float64))
        p, lower, upper = torch.linalg.lu(rotation)
        # rotation = p @ lower @ upper, so P = p and permutation[r] = the column of P's 1 in row r.
        diag = upper.diagonal()
        self.register_buffer("permutation", p.argmax(dim=1))
        self.register_buffer("sign", torch.where(diag < 0, -1, 1).long())
        self.lower = nn.Parameter(lower.tril(-1).float())
        self.upper = nn.Parameter(upper.triu(1).float())
        self.log_s = nn.Parameter(diag.abs().log().float())

    def weight(self):
        c = self.lower.shape[0]
        eye = torch.eye(c, dtype=self.lower.dtype, device=self.lower.device)
        lower = self.lower.tril(-1) + eye
        permutation = eye[self.permutation]
        diag = eye * (self.sign.to(self.log_s.dtype) * self.log_s.exp()).unsqueeze(0)
        upper = self.upper.triu(1) + diag
        return permutation @ lower @ upper

    def forward(self, x):
        c = x.shape[1]
        y = F.conv2d(x, self.weight().view(c, c, 1, 1))
        return y, self.log_s.sum() * (x.shape[2] * x.shape[3])


def same_conv(c_in, c_out, kernel, zero):
    """A conv with zero "same" padding: zero-initialised with bias, or N(0, 0.05) without."""
    conv = nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=zero)
    with torch.no_grad():
        if zero:
            conv.weight.zero_()
            conv.bias.zero_()
        else:
            conv.weight.normal_(0.0, HIDDEN_INIT_STD)
    return conv


class CouplingNet(nn.Module):
    """conv3x3 -> ActNorm -> ReLU -> conv1x1 -> ActNorm -> ReLU -> conv3x3 `* exp(3 out_logs)`."""

    def __init__(self, c_in, hidden, c_out):
        super().__init__()
        self.conv_in = same_conv(c_in, hidden, 3, zero=False)
        self.norm_in = ActNorm([1, hidden, 1, 1])
        self.conv_hidden = same_conv(hidden, hidden, 1, zero=False)
        self.norm_hidden = ActNorm([1, hidden, 1, 1])
        self.conv_out = same_conv(hidden, c_out, 3, zero=True)
        self.out_logs = nn.Parameter(torch.zeros(1, c_out, 1, 1))

    def forward(self, xa):
        h = F.relu(self.norm_in.normalize(self.conv_in(xa)))
        h = F.relu(self.norm_hidden.normalize(self.conv_hidden(h)))
        return self.conv_out(h) * (self.out_logs * OUTPUT_LOG_SCALE_FACTOR).exp()


class Coupling(nn.Module):
    """`xa = x[:, :C/2]` conditions `xb = x[:, C/2:]`.

    Affine: the net's output interleaves shift `t = h[:, 0::2]` and raw scale `r = h[:, 1::2]`,
    `yb = (xb + t) * sigmoid(r + 2)`, log-det `sum(log sigmoid(r + 2))`. Additive: `yb = xb + t`.
    """

    def __init__(self, channels, hidden, kind):
        super().__init__()
        self.affine = kind == "affine"
        c_out = channels if self.affine else channels // 2
        self.net = CouplingNet(channels // 2, hidden, c_out)

    def forward(self, x):
        half = x.shape[1] // 2
        xa, xb = x[:, :half], x[:, half:]
        h = self.net(xa)
        if not self.affine:
            return torch.cat([xa, xb + h], 1), x.new_zeros(x.shape[0])
        b, c, hh, ww = h.shape
        pairs = h.reshape(b, c // 2, 2, hh, ww)
        shift, raw = pairs[:, :, 0], pairs[:, :, 1]
        log_scale = F.logsigmoid(raw + SCALE_OFFSET)
        yb = (xb + shift) * log_scale.exp()
        return torch.cat([xa, yb], 1), flat_sum(log_scale)


class FlowStep(nn.Module):
    """ActNorm -> invertible 1x1 convolution -> coupling."""

    def __init__(self, channels, hidden, kind, generator=None):
        super().__init__()
        self.actnorm = ActNorm([1, channels, 1, 1])
        self.invconv = InvConv1x1(channels, generator)
        self.coupling = Coupling(channels, hidden, kind)

    def forward(self, x):
        x, a = self.actnorm(x)
        x, b = self.invconv(x)
        x, c = self.coupling(x)
        return x, a + b + c


class Level(nn.Module):
    """The flow steps of one scale (the export's `levels.{i}`)."""

    def __init__(self, config, i, generator=None):
        super().__init__()
        c = flow_channels(config, i)
        self.steps = nn.ModuleList(
            FlowStep(c, config["hidden_channels"], config["coupling"], generator)
            for _ in range(config["steps_per_level"]))

    def forward(self, x):
        logdet = x.new_zeros(x.shape[0])
        for step in self.steps:
            x, ld = step(x)
            logdet = logdet + ld
        return x, logdet


class ActNormPrior(nn.Module):
    """The paper's prior: `exp(log_scale) * (z + bias)` under N(0, I), per element."""

    def __init__(self, shape):
        super().__init__()
        self.actnorm = ActNorm([1, *shape])

    def forward(self, z, kept):
        u, logdet = self.actnorm(z)
        d = u[0].numel()
        gaussian = -0.5 * flat_sum(u * u) - 0.5 * d * LOG_2PI
        return logdet.expand(z.shape[0]), gaussian


def gaussian_log_density(z, params):
    """log N(z; mean, exp(logs)^2) summed per image; `params` holds means, then log-stds."""
    c2 = params.shape[1]
    mean, logs = params[:, :c2 // 2], params[:, c2 // 2:]
    u = (z - mean) * (-logs).exp()
    return flat_sum(-0.5 * u * u - logs) - 0.5 * z[0].numel() * LOG_2PI


class ConditionalPrior(nn.Module):
    """Means and log-stds of `z` from the kept half through a zero-initialised 3x3 conv."""

    def __init__(self, c_kept, c_z):
        super().__init__()
        self.conv = same_conv(c_kept, 2 * c_z, 3, zero=True)

    def forward(self, z, kept):
        return z.new_zeros(z.shape[0]), gaussian_log_density(z, self.conv(kept))


class LearnedPrior(nn.Module):
    """Learned per-element means and log-stds of the last scale's latent."""

    def __init__(self, shape):
        super().__init__()
        c, h, w = shape
        self.mean_logs = nn.Parameter(torch.zeros(1, 2 * c, h, w))

    def forward(self, z, kept):
        return z.new_zeros(z.shape[0]), gaussian_log_density(z, self.mean_logs)


def make_prior(config, i):
    shape = latent_shape(config, i)
    splits = i + 1 < config["levels"]
    if config["prior"] == "act_norm_gaussian":
        return ActNormPrior(shape)
    if splits:
        return ConditionalPrior(flow_channels(config, i) - shape[0], shape[0])
    return LearnedPrior(shape)


def squeeze(x):
    """Space to depth: channel `4c + 2dy + dx` holds pixel `(2y + dy, 2x + dx)` of channel c."""
    b, c, h, w = x.shape
    return (x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
            .reshape(b, c * 4, h // 2, w // 2))


class Glow(nn.Module):
    """Multiscale Glow; `forward(x)` gives per-image terms `[B, levels, 4]`: F_i, A_i, N_i, lp_i."""

    def __init__(self, config, seed=0):
        super().__init__()
        self.config = dict(config)
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        levels = range(config["levels"])
        self.levels = nn.ModuleList(Level(config, i, generator) for i in levels)
        self.priors = nn.ModuleList(make_prior(config, i) for i in levels)

    @property
    def dims(self):
        return self.config["in_channels"] * self.config["image_size"] ** 2

    def forward(self, x):
        terms = []
        h = x
        last = len(self.levels) - 1
        for i, (level, prior) in enumerate(zip(self.levels, self.priors)):
            out, flow_logdet = level(squeeze(h))
            if i < last:
                half = out.shape[1] // 2
                z, kept = out[:, :half], out[:, half:]
            else:
                z, kept = out, None
            prior_logdet, gaussian = prior(z, kept)
            lp = flow_logdet + prior_logdet + gaussian
            terms.append(torch.stack([flow_logdet, prior_logdet, gaussian, lp], 1))
            h = kept
        return torch.stack(terms, 1)

    def log_likelihood(self, x):
        """Per-image log p(x) in nats (sum of the scales' lp_i)."""
        return self(x)[:, :, 3].sum(1)

    def nll(self, x):
        """Per-image negative log-likelihood of the discrete image, `-log p(x) + D log 256`."""
        return self.dims * math.log(256.0) - self.log_likelihood(x)

    @torch.no_grad()
    def initialize(self, x):
        """flowood's data-dependent ActNorm initialisation on the batch `x`."""
        for m in self.modules():
            if isinstance(m, ActNorm):
                m.fit_next = True
        self(x)


def bits_per_dim(log_p, dims):
    """flowood's bits/dim: `(-log p + D log 256) / (D log 2)`."""
    return (dims * math.log(256.0) - log_p) / (dims * math.log(2.0))


def read_config(path):
    """The GlowConfig stored in a flowood safetensors export's metadata."""
    from safetensors import safe_open

    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    if CONFIG_METADATA_KEY not in metadata:
        raise ValueError(f"{path}: no '{CONFIG_METADATA_KEY}' metadata: not a flowood export")
    return json.loads(metadata[CONFIG_METADATA_KEY])


def load(path, device="cpu"):
    """The twin of the flowood model exported to `path`, every tensor loaded by name (strict)."""
    from safetensors.torch import load_file

    glow = Glow(read_config(path))
    glow.load_state_dict(load_file(path), strict=True)
    return glow.to(device).eval()


def model_input(pixels):
    """flowood's evaluation input `v/256 - 0.5 + 1/512` for uint8 pixels (exact in float32)."""
    return torch.as_tensor(pixels).float() / 256.0 - 0.5 + 1.0 / 512.0
