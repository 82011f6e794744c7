//! Cutting images into the non-overlapping square tiles of a local Glow, and back.

use burn::tensor::Tensor;

use crate::likelihood::ScaleTerms;

/// `x: [B, C, H, W]` cut into `n x n` tiles, as a batch `[B * n * n, C, H/n, W/n]`: image
/// `b`'s tile at row `r`, column `c` is entry `(b * n + r) * n + c`. `n = 1` is the identity.
pub fn to_tiles(x: Tensor<4>, n: usize) -> Tensor<4> {
    if n == 1 {
        return x;
    }
    let [b, c, h, w] = x.dims();
    let (th, tw) = (h / n, w / n);
    x.reshape([b, c, n, th, n, tw])
        .permute([0, 2, 4, 1, 3, 5])
        .reshape([b * n * n, c, th, tw])
}

/// The inverse of [`to_tiles`]: a batch of `B * n * n` tiles `[C, h, w]` laid out as the `B`
/// images `[C, n*h, n*w]` they came from.
pub fn from_tiles(tiles: Tensor<4>, n: usize) -> Tensor<4> {
    if n == 1 {
        return tiles;
    }
    let [bt, c, th, tw] = tiles.dims();
    let b = bt / (n * n);
    tiles
        .reshape([b, n, n, c, th, tw])
        .permute([0, 3, 1, 4, 2, 5])
        .reshape([b, c, n * th, n * tw])
}

/// One scale's terms of the `n x n` tiles of each image (`[B * n * n]` each) summed per image
/// (`[B]` each); `lp_i` is recomputed from the sums, so that `lp_i = F_i + A_i + N_i` holds
/// exactly per image as well.
pub fn terms_per_image(terms: ScaleTerms, n: usize) -> ScaleTerms {
    if n == 1 {
        return terms;
    }
    ScaleTerms::new(
        sum_per_image(terms.flow_logdet, n * n),
        sum_per_image(terms.prior_logdet, n * n),
        sum_per_image(terms.gaussian, n * n),
    )
}

/// Per-tile values `[B * tiles]` summed per image, `[B]` (tiles of an image are adjacent).
fn sum_per_image(values: Tensor<1>, tiles: usize) -> Tensor<1> {
    let [bt] = values.dims();
    let b = bt / tiles;
    values.reshape([b, tiles]).sum_dim(1).reshape([b])
}
