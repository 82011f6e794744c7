//! The objective of a run with what it needs (the frozen general model), checked once.

use burn::tensor::Tensor;
use flowood_glow::Glow;
use flowood_objectives::{MarginLoss, OutlierLoss};

use crate::config::Objective;
use crate::error::TrainError;

/// The loss a run minimises, resolved from its [`Objective`].
pub(crate) enum Loss<'a> {
    /// Mean NLL of the training batch.
    Nll,
    /// The outlier loss against the frozen general model (in inference mode).
    OutlierRatio(OutlierLoss, &'a Glow),
    /// Mean NLL plus the margin loss.
    Margin(MarginLoss),
}

impl<'a> Loss<'a> {
    /// Resolves `objective`; fails if it needs general-distribution data (`general_data`)
    /// or a general model that the run does not have.
    pub(crate) fn new(
        objective: Objective,
        general: Option<&'a Glow>,
        general_data: bool,
    ) -> Result<Self, TrainError> {
        if objective.uses_general_data() && !general_data {
            return Err(invalid(
                "the outlier objectives need general-distribution data",
            ));
        }
        match (objective, general) {
            (Objective::Nll, _) => Ok(Self::Nll),
            (Objective::OutlierRatio(loss), Some(general)) => Ok(Self::OutlierRatio(loss, general)),
            (Objective::OutlierRatio(_), None) => {
                Err(invalid("the outlier-ratio objective needs a general model"))
            }
            (Objective::Margin(loss), _) => Ok(Self::Margin(loss)),
        }
    }

    /// The loss from the in-distribution NLLs (`[B]`) and the general batch (on the plain
    /// device; `None` for maximum likelihood).
    pub(crate) fn loss(
        &self,
        model: &Glow,
        nll: Tensor<1>,
        general_x: Option<Tensor<4>>,
    ) -> Result<Tensor<1>, TrainError> {
        let on_model = |g: &Tensor<4>| model.log_likelihood(g.clone().autodiff());
        Ok(match (self, general_x) {
            (Self::OutlierRatio(loss, general), Some(g)) => {
                let frozen = Tensor::from_inner(general.log_likelihood(g.clone())?.total);
                loss.loss(nll, on_model(&g)?.total, frozen)
            }
            (Self::Margin(loss), Some(g)) => {
                nll.clone().mean() + loss.loss(nll, on_model(&g)?.nll())
            }
            _ => nll.mean(),
        })
    }
}

fn invalid(reason: &str) -> TrainError {
    TrainError::InvalidSetting {
        name: "objective",
        reason: reason.into(),
    }
}
