//! The supervised model: a Glow with a class-conditional head scores the class mixture, its
//! per-scale terms add up, a zero head changes nothing, and the head is saved with the model.

mod common;

use burn::tensor::{Device, Tensor};
use common::{images, tiny};
use flowood_flows::testing::perturb_parameters;
use flowood_flows::to_host;
use flowood_glow::{Glow, GlowConfig, GlowError, PriorKind};

const CLASSES: usize = 3;

/// An initialised, perturbed tiny unsupervised Glow.
fn unsupervised() -> Glow {
    let device = Device::flex();
    let glow = tiny(PriorKind::ActNormGaussian).init(&device, 1).unwrap();
    let glow = glow.initialize(&[images(16, 2, &device)]).unwrap();
    perturb_parameters(glow, 0.02, 4)
}

/// [`unsupervised`] with a head whose classes differ clearly (means and log-stds of about
/// 0.5), so that the posterior weights are far from uniform.
fn supervised() -> Glow {
    let mut glow = unsupervised().with_class_head(CLASSES).unwrap();
    glow.class_head = glow.class_head.map(|h| perturb_parameters(h, 0.5, 5));
    glow
}

fn rows(t: Tensor<2>) -> Vec<Vec<f64>> {
    let [_, k] = t.dims();
    to_host(t.flatten::<1>(0, 1))
        .chunks(k)
        .map(<[f64]>::to_vec)
        .collect()
}

/// Host terms (f64) of a supervised model on a batch: per image, the flow terms
/// `sum_i F_i + A_i`, and per scale and class `N_{i,c} = log N(u_i; mu_{c,i}, sigma_{c,i}^2)`
/// of the normalised latents.
struct HostTerms {
    flow: Vec<f64>,
    /// `[image][scale][class]`.
    gaussian: Vec<Vec<Vec<f64>>>,
}

impl HostTerms {
    fn of(glow: &Glow, x: Tensor<4>) -> Self {
        let encoded = glow.encode_with_likelihood(x).unwrap();
        let ll = encoded.log_likelihood.to_host();
        let head = glow.class_head.as_ref().unwrap();
        let means = rows(head.means.val());
        let log_stds = rows(head.log_stds.val());
        let u: Vec<Vec<Vec<f64>>> = encoded
            .latents
            .into_iter()
            .zip(&glow.scales)
            .map(|(z, s)| rows(s.prior.normalize(z).unwrap().flatten::<2>(1, 3)))
            .collect();
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let flow = (0..ll.len())
            .map(|b| {
                ll.scales
                    .iter()
                    .map(|s| s.flow_logdet[b] + s.prior_logdet[b])
                    .sum()
            })
            .collect();
        let gaussian = (0..ll.len())
            .map(|b| {
                let mut offset = 0;
                u.iter()
                    .map(|scale| {
                        let d = scale[b].len();
                        let per_class = (0..CLASSES)
                            .map(|c| {
                                (0..d)
                                    .map(|j| {
                                        let (m, s) =
                                            (means[c][offset + j], log_stds[c][offset + j]);
                                        let z = (scale[b][j] - m) / s.exp();
                                        -0.5 * z * z - s - half_ln_2pi
                                    })
                                    .sum()
                            })
                            .collect();
                        offset += d;
                        per_class
                    })
                    .collect()
            })
            .collect();
        Self { flow, gaussian }
    }

    /// `log p(x|c)` of image `b`, every class.
    fn class_log_likelihoods(&self, b: usize) -> Vec<f64> {
        (0..CLASSES)
            .map(|c| self.flow[b] + self.gaussian[b].iter().map(|s| s[c]).sum::<f64>())
            .collect()
    }
}

fn logsumexp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

#[test]
fn log_p_is_the_class_mixture() {
    let glow = supervised();
    let x = images(5, 6, &glow.device());
    let host = HostTerms::of(&glow, x.clone());
    let encoded = glow.encode_with_likelihood(x).unwrap();
    let class_ll = rows(encoded.class_log_likelihoods.unwrap());
    let total = encoded.log_likelihood.to_host().total;
    for b in 0..total.len() {
        let expected = host.class_log_likelihoods(b);
        for c in 0..CLASSES {
            let (got, want) = (class_ll[b][c], expected[c]);
            assert!((got - want).abs() < 1e-3, "log p(x|{c}): {got} vs {want}");
        }
        let spread = expected.iter().copied().fold(f64::MIN, f64::max)
            - expected.iter().copied().fold(f64::MAX, f64::min);
        assert!(spread > 1.0, "the classes must differ: spread {spread}");
        let mixture = logsumexp(&expected) - (CLASSES as f64).ln();
        assert!(
            (total[b] - mixture).abs() < 1e-3,
            "log p(x) {} vs logsumexp - log K {mixture}",
            total[b]
        );
    }
}

#[test]
fn per_scale_terms_of_the_mixture_sum_exactly_to_the_total() {
    let glow = supervised();
    let ll = glow
        .log_likelihood(images(6, 7, &glow.device()))
        .unwrap()
        .to_host();
    for b in 0..ll.len() {
        // Device sums are f32: redo them in f32, in the same order, and demand equality.
        let lp: Vec<f32> = ll.scales.iter().map(|s| s.lp[b] as f32).collect();
        assert_eq!(
            lp.iter().skip(1).fold(lp[0], |a, v| a + v),
            ll.total[b] as f32
        );
        for s in &ll.scales {
            let sum = (s.flow_logdet[b] as f32 + s.prior_logdet[b] as f32) + s.gaussian[b] as f32;
            assert_eq!(sum, s.lp[b] as f32);
        }
    }
}

#[test]
fn each_scale_holds_its_posterior_weighted_class_density_and_the_last_the_evidence() {
    let glow = supervised();
    let x = images(4, 8, &glow.device());
    let host = HostTerms::of(&glow, x.clone());
    let ll = glow.log_likelihood(x.clone()).unwrap().to_host();
    let unsup = unsupervised().log_likelihood(x).unwrap().to_host();
    let last = ll.scales.len() - 1;
    for b in 0..ll.len() {
        // w = softmax_c log p(x|c); N_i = sum_c w_c N_{i,c}, plus H(w) - log K on the last.
        let class_ll = host.class_log_likelihoods(b);
        let lse = logsumexp(&class_ll);
        let w: Vec<f64> = class_ll.iter().map(|v| (v - lse).exp()).collect();
        let entropy = -w
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|p| p * p.ln())
            .sum::<f64>();
        let evidence = entropy - (CLASSES as f64).ln();
        assert!((-(CLASSES as f64).ln()..=0.0).contains(&evidence));
        for (i, scale) in ll.scales.iter().enumerate() {
            let weighted: f64 = (0..CLASSES).map(|c| w[c] * host.gaussian[b][i][c]).sum();
            let want = weighted + if i == last { evidence } else { 0.0 };
            let got = scale.gaussian[b];
            assert!((got - want).abs() < 1e-3, "N_{}: {got} vs {want}", i + 1);
            // The flow terms are the unsupervised model's.
            assert_eq!(scale.flow_logdet[b], unsup.scales[i].flow_logdet[b]);
            assert_eq!(scale.prior_logdet[b], unsup.scales[i].prior_logdet[b]);
        }
    }
}

#[test]
fn a_zero_head_changes_nothing() {
    let glow = unsupervised();
    let zero = glow.clone().with_class_head(CLASSES).unwrap();
    assert_eq!(zero.config.classes, Some(CLASSES));
    let x = images(5, 9, &glow.device());
    assert_eq!(
        zero.log_likelihood(x.clone()).unwrap().to_host(),
        glow.log_likelihood(x).unwrap().to_host()
    );
    assert_eq!(
        to_host(zero.sample(3, 0.7, 10).unwrap().flatten::<1>(0, 3)),
        to_host(glow.sample(3, 0.7, 10).unwrap().flatten::<1>(0, 3))
    );
}

#[test]
fn samples_of_a_supervised_model_are_finite_with_a_finite_density() {
    let glow = supervised();
    let x = glow.sample(6, 0.7, 11).unwrap();
    assert_eq!(x.dims(), [6, 1, 8, 8]);
    assert!(
        to_host(x.clone().flatten::<1>(0, 3))
            .iter()
            .all(|v| v.is_finite())
    );
    // Each sample has a finite density under the model it came from.
    let total = glow.log_likelihood(x).unwrap().to_host().total;
    assert!(total.iter().all(|v| v.is_finite()), "{total:?}");
}

#[test]
fn save_load_and_safetensors_round_trips_keep_the_head() {
    let glow = supervised();
    let x = images(4, 12, &glow.device());
    let expected = glow.log_likelihood(x.clone()).unwrap().to_host();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    glow.save(&path).unwrap();
    let json = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    assert!(json.contains("\"classes\": 3"), "{json}");
    let loaded = Glow::load(&path, &Device::flex()).unwrap();
    assert_eq!(loaded.config, glow.config);
    assert_eq!(
        loaded.log_likelihood(x.clone()).unwrap().to_host(),
        expected
    );

    let st = dir.path().join("model.safetensors");
    glow.export_safetensors(&st).unwrap();
    let imported = glow
        .config
        .init(&Device::flex(), 99)
        .unwrap()
        .import_safetensors(&st)
        .unwrap();
    assert_eq!(imported.log_likelihood(x).unwrap().to_host(), expected);
    // The head's tensors have their documented names.
    let header = std::fs::read(&st).unwrap();
    let header = String::from_utf8_lossy(&header[..4096.min(header.len())]).to_string();
    assert!(header.contains("class_head.means") && header.contains("class_head.log_stds"));
}

#[test]
fn unsupervised_models_keep_their_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    unsupervised().save(&path).unwrap();
    let json = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    assert!(!json.contains("classes"), "{json}");
    // A model.json without the key (every file written before the head) loads as
    // unsupervised.
    let loaded = Glow::load(&path, &Device::flex()).unwrap();
    assert!(loaded.class_head.is_none() && loaded.config.classes.is_none());
}

#[test]
fn a_head_needs_the_paper_prior_and_a_sane_class_count() {
    let device = Device::flex();
    let with = |prior, classes| GlowConfig {
        classes: Some(classes),
        ..tiny(prior)
    };
    for (config, why) in [
        (
            with(PriorKind::ConditionalSplit, 3),
            "ActNorm-Gaussian prior",
        ),
        (with(PriorKind::ActNormGaussian, 0), "between 1 and"),
        (with(PriorKind::ActNormGaussian, 1 << 20), "between 1 and"),
    ] {
        match config.init(&device, 0) {
            Err(GlowError::InvalidConfig {
                field: "classes",
                reason,
            }) => assert!(reason.contains(why), "{reason}"),
            other => panic!("expected an invalid `classes`, got {other:?}"),
        }
    }
    let glow = unsupervised().with_class_head(3).unwrap();
    assert!(glow.clone().with_class_head(3).is_ok());
    assert!(matches!(
        glow.with_class_head(4),
        Err(GlowError::InvalidArgument {
            name: "classes",
            ..
        })
    ));
}
