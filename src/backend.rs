//! Choosing a Burn backend at run time (`--device flex|ndarray|wgpu|cuda[:N]`).

use burn::tensor::Device;
use thiserror::Error;

/// A backend could not be selected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// The name is not one of flex, ndarray, wgpu, cuda or cuda:N.
    #[error("unknown device `{0}`: expected flex, ndarray, wgpu or cuda[:N]")]
    Unknown(String),
    /// The backend exists but this build of flowood does not include it.
    #[error("device `{name}` is not compiled in: rebuild with `--features {name}`")]
    NotCompiled {
        /// Backend name.
        name: String,
    },
    /// The backend is compiled in but could not start (no GPU, no driver).
    #[error("device `{name}` failed to start: {reason}")]
    Unavailable {
        /// Backend name.
        name: String,
        /// What went wrong.
        reason: String,
    },
}

/// Backends compiled into this build, fastest CPU backend first.
pub fn compiled_backends() -> Vec<&'static str> {
    [
        ("flex", cfg!(feature = "flex")),
        ("ndarray", cfg!(feature = "ndarray")),
        ("wgpu", cfg!(feature = "wgpu")),
        ("cuda", cfg!(feature = "cuda")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}

/// Parses a device name and starts the device, checking that it can run a tensor operation.
pub fn parse_device(spec: &str) -> Result<Device, BackendError> {
    let (name, index) = match spec.split_once(':') {
        Some((name, index)) => {
            let index = index
                .parse::<usize>()
                .map_err(|_| BackendError::Unknown(spec.to_string()))?;
            (name, Some(index))
        }
        None => (spec, None),
    };
    if index.is_some() && name != "cuda" {
        return Err(BackendError::Unknown(spec.to_string()));
    }
    let device = build(name, index.unwrap_or(0))?;
    probe(name, device)
}

/// Threads per training step that suit `device` (see `flowood_train::TrainConfig::threads`):
/// every core for the CPU backends (flex, ndarray), which keep about one core busy on their
/// own at Glow's batch sizes; 1 for GPU devices.
pub fn default_threads(device: &Device) -> usize {
    if is_cpu_backend(device) {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    }
}

/// The name a GPU device gives itself (`NVIDIA H200`, or `llvmpipe (LLVM 19.1.7, 256 bits)`
/// for Mesa's software Vulkan), so that a run can say what it ran on; `None` for the CPU
/// backends, which report none. Starts the device if it has not started yet.
pub fn adapter_name(device: &Device) -> Option<String> {
    // Burn reports identities only with a CubeCL backend (wgpu, cuda) compiled in.
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    {
        device.identity().map(|identity| identity.name)
    }
    #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
    {
        let _ = device;
        None
    }
}

/// Whether `device` is one of the CPU backends (flex, ndarray).
fn is_cpu_backend(device: &Device) -> bool {
    let cpu = [
        #[cfg(feature = "flex")]
        Device::flex(),
        // See `build` for why NdArray's deprecation is allowed.
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        Device::ndarray(),
    ];
    cpu.contains(device)
}

/// Every backend name flowood knows, compiled in or not.
const KNOWN: [&str; 4] = ["flex", "ndarray", "wgpu", "cuda"];

fn build(name: &str, _index: usize) -> Result<Device, BackendError> {
    match name {
        #[cfg(feature = "flex")]
        "flex" => return Ok(Device::flex()),
        // Burn 0.22 deprecates NdArray in favour of Flex; flowood keeps it as an opt-in
        // backend to compare against, so the deprecation is expected here and only here.
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        "ndarray" => return Ok(Device::ndarray()),
        #[cfg(feature = "wgpu")]
        "wgpu" => return Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(feature = "cuda")]
        "cuda" => {
            cuda_driver_available().map_err(|reason| BackendError::Unavailable {
                name: name.into(),
                reason,
            })?;
            return Ok(Device::cuda(_index));
        }
        _ => {}
    }
    if KNOWN.contains(&name) {
        Err(BackendError::NotCompiled {
            name: name.to_string(),
        })
    } else {
        Err(BackendError::Unknown(name.to_string()))
    }
}

/// Checks that the NVIDIA driver library can be loaded, as CUDA will need it.
///
/// Burn's CUDA backend (through cudarc) loads the driver at run time and panics when it is
/// missing; [`parse_device`] calls this first so that a machine without a driver gets a
/// [`BackendError::Unavailable`] instead. Callable in any build, e.g. to pick a default device.
// Loading a shared library is `unsafe` in libloading; this is flowood's only unsafe code.
#[allow(unsafe_code)]
pub fn cuda_driver_available() -> Result<(), String> {
    const NAMES: &[&str] = if cfg!(windows) {
        &["nvcuda.dll"]
    } else {
        &["libcuda.so.1", "libcuda.so"]
    };
    for name in NAMES {
        // SAFETY: loading the driver runs its initialisers, exactly as cudarc does when the
        // CUDA device starts; the library is unloaded again right away.
        if unsafe { libloading::Library::new(name) }.is_ok() {
            return Ok(());
        }
    }
    Err(format!(
        "the NVIDIA driver library ({}) was not found: install the NVIDIA driver",
        NAMES.join(" or ")
    ))
}

/// Runs one tiny operation so that a backend without hardware or driver fails here, as an
/// error, instead of panicking in the middle of a job (cudarc panics without a driver).
fn probe(name: &str, device: Device) -> Result<Device, BackendError> {
    let check = device.clone();
    let result = std::panic::catch_unwind(move || {
        let t = burn::tensor::Tensor::<1>::ones([2], &check);
        t.sum().into_scalar::<f32>()
    });
    match result {
        Ok(2.0) => Ok(device),
        Ok(v) => Err(BackendError::Unavailable {
            name: name.into(),
            reason: format!("probe returned {v}"),
        }),
        Err(panic) => Err(BackendError::Unavailable {
            name: name.into(),
            reason: panic_message(&panic),
        }),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "backend panicked while starting".into())
}
