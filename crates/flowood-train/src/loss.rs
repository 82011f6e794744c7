//! The objective of a run with what it needs (the frozen general model), checked once.

use burn::tensor::Tensor;
use flowood_data::ImageSet;
use flowood_glow::Glow;
use flowood_objectives::{ClassConditionalLoss, MarginLoss, ObjectiveError, OutlierLoss};

use crate::config::Objective;
use crate::error::TrainError;
use crate::training_pass::TrainingPass;

/// The loss a run minimises, resolved from its [`Objective`].
pub(crate) enum Loss<'a> {
    /// Mean NLL of the training batch.
    Nll,
    /// The outlier loss against the frozen general model (in inference mode).
    OutlierRatio(OutlierLoss, &'a Glow),
    /// Mean NLL plus the margin loss.
    Margin(MarginLoss),
    /// The supervised variant against the frozen general model.
    Supervised {
        wrong_class: ClassConditionalLoss,
        outlier: Option<OutlierLoss>,
        general: &'a Glow,
    },
}

/// A batch loss and the per-image NLLs (`[B]`, the model's `-log p(x) + D ln 256`) it was
/// computed with, for the non-finite guard and the reported bits/dim.
pub(crate) struct BatchLoss {
    pub loss: Tensor<1>,
    pub nll: Tensor<1>,
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
            (Objective::Margin(loss), _) => Ok(Self::Margin(loss)),
            (
                Objective::Supervised {
                    wrong_class,
                    outlier,
                },
                Some(general),
            ) => Ok(Self::Supervised {
                wrong_class,
                outlier,
                general,
            }),
            (Objective::OutlierRatio(_), None) => {
                Err(invalid("the outlier-ratio objective needs a general model"))
            }
            (Objective::Supervised { .. }, None) => Err(invalid(
                "the supervised objective needs a general model (for its wrong-class term)",
            )),
        }
    }

    /// Checks that a supervised run has what it trains on: labels in `train`, and a class
    /// head in `model` with a class for every label. Other objectives need nothing.
    pub(crate) fn check_labels(&self, model: &Glow, train: &ImageSet) -> Result<(), TrainError> {
        if !matches!(self, Self::Supervised { .. }) {
            return Ok(());
        }
        let Some(labels) = train.labels() else {
            return Err(TrainError::NoLabels);
        };
        let Some(classes) = model.config.classes else {
            return Err(invalid(
                "the supervised objective needs a model with a class head (Glow::with_class_head)",
            ));
        };
        match labels.iter().find(|&&l| usize::from(l) >= classes) {
            Some(&label) => Err(ObjectiveError::LabelOutOfRange {
                label: i64::from(label),
                classes,
            }
            .into()),
            None => Ok(()),
        }
    }

    /// The loss of the training batch `x` (on the autodiff device; `labels` for the
    /// supervised variant) and the general batch (on the plain device; `None` for maximum
    /// likelihood and the supervised variant without an outlier term), through the model's
    /// forward passes in `pass`.
    pub(crate) fn loss(
        &self,
        pass: &TrainingPass<'_>,
        x: Tensor<4>,
        labels: Option<&[u16]>,
        general_x: Option<Tensor<4>>,
    ) -> Result<BatchLoss, TrainError> {
        let on_model = |g: &Tensor<4>| pass.log_likelihood(g.clone().autodiff());
        if let Self::Supervised {
            wrong_class,
            outlier,
            general,
        } = self
        {
            let labels = labels.ok_or(TrainError::NoLabels)?;
            let mut batch = supervised(pass, wrong_class, general, x, labels)?;
            if let (Some(outlier), Some(g)) = (outlier, general_x) {
                let term = outlier.outlier_term(on_model(&g)?.total, frozen(general, g)?);
                batch.loss = batch.loss + term.mul_scalar(outlier.lambda);
            }
            return Ok(batch);
        }
        let nll = pass.log_likelihood(x)?.nll();
        let loss = match (self, general_x) {
            (Self::OutlierRatio(loss, general), Some(g)) => {
                loss.loss(nll.clone(), on_model(&g)?.total, frozen(general, g)?)
            }
            (Self::Margin(loss), Some(g)) => {
                nll.clone().mean() + loss.loss(nll.clone(), on_model(&g)?.nll())
            }
            _ => nll.clone().mean(),
        };
        Ok(BatchLoss { loss, nll })
    }
}

/// `ClassConditionalLoss` on the class log-likelihoods of `x` (on the autodiff device) under
/// its `labels`, against the frozen `general` model's `log p_g(x)`.
fn supervised(
    pass: &TrainingPass<'_>,
    loss: &ClassConditionalLoss,
    general: &Glow,
    x: Tensor<4>,
    labels: &[u16],
) -> Result<BatchLoss, TrainError> {
    let labels: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
    let logp_general = frozen(general, x.clone().inner())?;
    let encoded = pass.encode(x)?;
    let class_ll = encoded
        .class_log_likelihoods
        .ok_or_else(|| invalid("the supervised objective needs a model with a class head"))?;
    let loss = loss.loss(class_ll, &labels, logp_general, pass.model().config.dims())?;
    Ok(BatchLoss {
        loss,
        nll: encoded.log_likelihood.nll(),
    })
}

/// The frozen general model's `log p` of `g` (plain device), lifted to autodiff without a
/// gradient.
fn frozen(general: &Glow, g: Tensor<4>) -> Result<Tensor<1>, TrainError> {
    Ok(general.log_likelihood(g)?.total.autodiff())
}

fn invalid(reason: &str) -> TrainError {
    TrainError::InvalidSetting {
        name: "objective",
        reason: reason.into(),
    }
}
