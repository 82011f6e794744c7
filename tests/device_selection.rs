//! `--device` names: what is compiled in starts, everything else is a typed error, never a
//! panic.

use flowood::backend::{BackendError, compiled_backends, cuda_driver_available, parse_device};

#[test]
fn the_default_cpu_backend_starts() {
    assert!(compiled_backends().contains(&"flex"));
    let device = parse_device("flex").unwrap();
    assert!(!device.is_autodiff());
}

#[test]
fn unknown_names_and_bad_indices_are_rejected() {
    for spec in ["gpu", "", "cuda:x", "cuda:-1", "flex:0", "wgpu:1", "FLEX"] {
        assert!(
            matches!(parse_device(spec), Err(BackendError::Unknown(_))),
            "`{spec}` was accepted"
        );
    }
}

#[test]
fn backends_not_compiled_in_name_the_feature() {
    for name in ["ndarray", "wgpu", "cuda"] {
        if compiled_backends().contains(&name) {
            continue;
        }
        let err = parse_device(name).unwrap_err();
        assert_eq!(err, BackendError::NotCompiled { name: name.into() });
        assert!(err.to_string().contains(&format!("--features {name}")));
    }
}

#[test]
fn a_missing_cuda_driver_is_an_error_not_a_panic() {
    // Without the NVIDIA driver the check says so; with one it passes. Either way, no panic.
    match cuda_driver_available() {
        Ok(()) => {}
        Err(reason) => assert!(reason.contains("NVIDIA driver"), "{reason}"),
    }
    if compiled_backends().contains(&"cuda") && cuda_driver_available().is_err() {
        assert!(matches!(
            parse_device("cuda"),
            Err(BackendError::Unavailable { .. })
        ));
    }
}
