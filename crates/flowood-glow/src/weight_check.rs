//! Checks of loaded weights: a model file can hold any numbers, but only some make a Glow.
//!
//! Every float must be finite, every LU permutation must be a permutation of `0..C` (an index
//! out of range makes the backend panic, a repeated one makes the convolution singular), every
//! sign must be +-1 (a zero sign makes it singular too), every ActNorm `initialized` flag 0
//! or 1, and every fixed mixing of a dense step orthogonal (its log-det is taken to be 0).
//! Shapes are checked by Burn when the record is applied.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Int, Tensor};
use flowood_flows::to_host;

use crate::glow::Glow;

impl Glow {
    /// The first tensor that fails a check, by its path (`scales.0.steps.3.invconv.sign`),
    /// and why; `None` when every weight is one a Glow can have.
    pub fn first_invalid_tensor(&self) -> Option<(String, String)> {
        let mut check = WeightCheck::default();
        self.visit(&mut check);
        check.failure
    }
}

/// Largest accepted `|Q Q^T - I|` entry of a mixing matrix: f32 rounding of a 3072x3072
/// orthogonal matrix stays below 1e-5.
const ORTHOGONALITY_TOLERANCE: f64 = 1e-3;

#[derive(Default)]
struct WeightCheck {
    path: Vec<String>,
    failure: Option<(String, String)>,
}

impl WeightCheck {
    fn fail(&mut self, reason: Option<String>) {
        if self.failure.is_none()
            && let Some(reason) = reason
        {
            self.failure = Some((self.path.join("."), reason));
        }
    }
}

impl ModuleVisitor for WeightCheck {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self
            .path
            .ends_with(&["mix".to_string(), "weight".to_string()])
        {
            let reason = not_orthogonal(param.val());
            self.fail(reason);
        }
        let values = param
            .val()
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>();
        let reason = match values {
            Ok(v) => v
                .iter()
                .position(|x| !x.is_finite())
                .map(|i| format!("value {i} is {}", v[i])),
            Err(e) => Some(format!("unreadable: {e:?}")),
        };
        self.fail(reason);
    }

    fn visit_int<const D: usize>(&mut self, param: &Param<Tensor<D, Int>>) {
        let values = param
            .val()
            .into_data()
            .convert::<i64>()
            .try_into_vec::<i64>();
        let reason = match (values, self.path.last().map(String::as_str)) {
            (Err(e), _) => Some(format!("unreadable: {e:?}")),
            (Ok(v), Some("permutation")) => not_a_permutation(&v),
            (Ok(v), Some("sign")) => v
                .iter()
                .position(|s| s.abs() != 1)
                .map(|i| format!("sign {i} is {}, not +1 or -1", v[i])),
            (Ok(v), Some("initialized")) => v
                .iter()
                .position(|s| !matches!(s, 0 | 1))
                .map(|i| format!("flag {i} is {}, not 0 or 1", v[i])),
            (Ok(_), _) => None,
        };
        self.fail(reason);
    }
}

/// Why the square matrix `q` is not orthogonal (within [`ORTHOGONALITY_TOLERANCE`]), if
/// it is not (non-finite values fail too).
fn not_orthogonal<const D: usize>(q: Tensor<D>) -> Option<String> {
    let [rows, cols] = q.dims()[..] else {
        return Some(format!("expected a matrix, got shape {:?}", q.dims()));
    };
    if rows != cols {
        return Some(format!("expected a square matrix, got {rows}x{cols}"));
    }
    let q: Tensor<2> = q.reshape([rows, cols]);
    let eye = Tensor::<2>::eye(rows, &q.device());
    let error = to_host((q.clone().matmul(q.transpose()) - eye).abs().max())
        .first()
        .copied()
        .unwrap_or(f64::NAN);
    (error.is_nan() || error > ORTHOGONALITY_TOLERANCE)
        .then(|| format!("the mixing matrix is not orthogonal: |Q Q^T - I| reaches {error}"))
}

/// Why `rows` is not a permutation of `0..rows.len()`, if it is not.
fn not_a_permutation(rows: &[i64]) -> Option<String> {
    let mut seen = vec![false; rows.len()];
    for (i, &r) in rows.iter().enumerate() {
        match usize::try_from(r).ok().filter(|&r| r < rows.len()) {
            None => return Some(format!("index {i} is {r}, outside 0..{}", rows.len())),
            Some(r) if seen[r] => return Some(format!("index {i} repeats row {r}")),
            Some(r) => seen[r] = true,
        }
    }
    None
}
