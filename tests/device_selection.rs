//! `--device` names: what is compiled in starts, everything else is a typed error, never a
//! panic; a GPU device says which adapter it runs on.

use flowood::backend::{
    BackendError, adapter_name, compiled_backends, cuda_driver_available, parse_device,
};

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

#[test]
fn cpu_devices_name_no_adapter() {
    assert_eq!(adapter_name(&parse_device("flex").unwrap()), None);
}

/// The `wgpu` device is one of the adapters WGPU finds, and it says which: printed with
/// `--nocapture` (every adapter with its graphics API, kind and driver, then the one the
/// device runs on), for logs and the GPU bundle's report, so that a run shows whether it ran
/// on the GPU through Vulkan or fell back to Mesa's llvmpipe or to OpenGL. The only test here
/// that starts WGPU, as Vulkan loaders crash when instances come and go on several threads.
#[cfg(feature = "wgpu")]
#[test]
fn the_wgpu_device_is_an_adapter_wgpu_finds() {
    use burn::backend::wgpu::wgpu;
    let describe = |a: &wgpu::AdapterInfo| {
        let driver = format!("{} {}", a.driver, a.driver_info);
        format!(
            "{} through {:?} ({:?}), driver {}",
            a.name,
            a.backend,
            a.device_type,
            driver.trim()
        )
    };
    let device = parse_device("wgpu").unwrap();
    let name = adapter_name(&device).expect("a wgpu device names its adapter");
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapters: Vec<_> = ready(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(wgpu::Adapter::get_info)
        .collect();
    for adapter in &adapters {
        println!("wgpu adapter: {}", describe(adapter));
    }
    // Adapters are listed by graphics API in WGPU's order of preference (Vulkan first), as
    // Burn's default device picks them.
    let used = adapters.iter().find(|a| a.name == name);
    let used = used.unwrap_or_else(|| panic!("the wgpu device `{name}` is not among {adapters:?}"));
    println!("wgpu device: {}", describe(used));
}

/// The value of a future that needs no waking (WGPU's native adapter list is ready at once).
#[cfg(feature = "wgpu")]
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::yield_now();
    }
}
