#!/usr/bin/env bash
# The GPU bundle's run script, copied into the bundle as run.sh by scripts/gpu-bundle.sh (see
# docs/gpu.md). Runs flowood's cross-backend checks and benchmark on the GPU through WGPU
# (Vulkan), then the PyTorch twin's benchmark if python3 has torch, and writes report.md.
# Needs no network, cargo or compiler: the bundle, bash, coreutils and a Vulkan driver.
#
#   ./run.sh                                    # everything; report in ./gpu-check/
#   ./run.sh --out DIR --configs small --steps 3
#   ./run.sh --loader bundled --batch 8 --timeout-factor 4   # tiny run on software Vulkan
#
# Vulkan loader: the system's libvulkan.so.1 if ldconfig knows one, else the bundle's lib/.
# Vulkan driver: VK_DRIVER_FILES / VK_ICD_FILENAMES if set; else the NVIDIA driver's ICD file
# (nvidia_icd.json in the loader's standard folders; written here when the NVIDIA driver is
# installed without one); else whatever the loader finds (Mesa's llvmpipe on a CPU machine).
# Each stage has a time limit, 8 minutes in all (times --timeout-factor); a stage that fails
# or runs out of time fails the run (exit status 1), and the report says which.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$PWD/gpu-check"
configs=all
steps=10
batch=64
loader=auto
torch=auto
factor=1
usage="usage: $0 [--out DIR] [--configs small|paper|all] [--steps N] [--batch N]
       [--loader auto|system|bundled] [--torch auto|cuda|cpu|off] [--timeout-factor N]"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --configs) configs="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --batch) batch="$2"; shift 2 ;;
        --loader) loader="$2"; shift 2 ;;
        --torch) torch="$2"; shift 2 ;;
        --timeout-factor) factor="$2"; shift 2 ;;
        -h | --help) echo "$usage"; exit 0 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
one_of() { # VALUE FLAG CHOICES...: exits unless VALUE is one of CHOICES
    local value="$1" flag="$2"
    shift 2
    for choice in "$@"; do [ "$value" = "$choice" ] && return; done
    echo "$flag must be one of $*, got '$value'" >&2
    exit 2
}
one_of "$configs" --configs small paper all
one_of "$loader" --loader auto system bundled
one_of "$torch" --torch auto cuda cpu off
for value in "$steps" "$batch" "$factor"; do
    case "$value" in
        '' | *[!0-9]* | 0) echo "--steps, --batch and --timeout-factor take a positive integer, got '$value'" >&2; exit 2 ;;
    esac
done
case "$configs" in all) config_list=(small paper) ;; *) config_list=("$configs") ;; esac
mkdir -p "$out" && out="$(cd "$out" && pwd)" || exit 2
rm -f "$out"/*.log "$out"/bench.md "$out"/pytorch.md "$out"/report.md "$out"/nvidia_icd.json
failed=()

stage() { echo "== [${SECONDS}s] $*"; }

# limited SECONDS LOG COMMAND...: runs COMMAND for at most SECONDS (times the factor), its
# output into LOG; its exit status, 124 when it ran out of time.
limited() {
    local seconds=$(($1 * factor)) log="$2"
    shift 2
    timeout --kill-after=10 "$seconds" "$@" > "$log" 2>&1
}

# The libraries the dynamic linker knows (read once: a pipe into a reader that stops early, as
# grep -q, would fail under pipefail).
libraries="$("$(command -v ldconfig || echo /sbin/ldconfig)" -p 2> /dev/null)"

# The loader, found by name (dlopen follows LD_LIBRARY_PATH, so lib/ comes first when used).
loader_path="$(awk '$1 == "libvulkan.so.1" && !n++ { print $NF }' <<< "$libraries")"
if [ "$loader" = bundled ] || { [ "$loader" = auto ] && [ -z "$loader_path" ]; }; then
    export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    loader_path="bundled (Debian's libvulkan1 $(cat "$here/lib/libvulkan.version"))"
elif [ -z "$loader_path" ]; then
    echo "--loader system, but ldconfig knows no libvulkan.so.1" >&2
    exit 2
fi

# The NVIDIA driver's ICD file, if the driver is installed; nothing otherwise.
nvidia_icd() {
    local dir
    for dir in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
        if [ -f "$dir/nvidia_icd.json" ]; then echo "$dir/nvidia_icd.json"; return; fi
    done
    # The driver's libraries without the file (as in some containers): its Vulkan entry
    # points are in libGLX_nvidia.so.0.
    if grep -q 'libGLX_nvidia\.so\.0 ' <<< "$libraries"; then
        echo '{ "file_format_version": "1.0.0", "ICD": { "library_path": "libGLX_nvidia.so.0", "api_version": "1.3" } }' \
            > "$out/nvidia_icd.json"
        echo "$out/nvidia_icd.json"
    fi
}
if [ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
    driver="${VK_DRIVER_FILES:-$VK_ICD_FILENAMES} (from the environment)"
else
    icd="$(nvidia_icd)"
    if [ -n "$icd" ]; then
        export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
        driver="$icd"
        [ "$icd" = "$out/nvidia_icd.json" ] && driver="$icd (written here for libGLX_nvidia.so.0)"
    else
        driver="the loader's own search (no NVIDIA driver found)"
    fi
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
export FLOWOOD_DATA="$here/data" FLOWOOD_TEST_DEVICE=wgpu
# cubecl keeps its caches under the outermost Cargo.toml above the working directory, else in
# the user's cache folder: work in the output folder.
cd "$out" || exit 2

stage "GPU and Vulkan"
gpu="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)" ||
    gpu=""
echo "nvidia-smi: ${gpu:-none}"
echo "Vulkan loader: $loader_path"
echo "Vulkan driver: $driver"
limited 20 device.log "$here/bin/device_selection" the_wgpu_device_is_an_adapter_wgpu_finds \
    --exact --nocapture
status=$?
adapters="$(sed -n 's/^wgpu adapter: //p' device.log)"
device="$(sed -n 's/^wgpu device: //p' device.log)"
if [ "$status" -ne 0 ] || [ -z "$device" ]; then
    failed+=(device)
    device="did not start (device.log)"
    cat device.log
elif [[ "$device" != *" through Vulkan "* ]]; then
    failed+=(device)
    device="$device: not Vulkan (did the Vulkan loader find no driver?)"
elif [ -n "$gpu" ] && [[ "$device" == *"(Cpu)"* ]]; then
    failed+=(device)
    device="$device: software Vulkan, although nvidia-smi reports a GPU (no NVIDIA Vulkan driver?)"
fi
echo "adapters WGPU finds:"
echo "${adapters:-none}"
echo "device: $device"

stage "cross-backend checks on wgpu"
checks=()
for suite_limit in device_selection:30 backends:120; do
    suite="${suite_limit%:*}" limit="${suite_limit#*:}" start=$SECONDS
    limited "$limit" "$suite.log" "$here/bin/$suite"
    status=$?
    summary="$(grep '^test result' "$suite.log" | tail -n 1)"
    [ "$status" -eq 124 ] && summary="timed out after $((limit * factor)) s"
    if [ "$status" -eq 0 ]; then result=passed; else result=FAILED; failed+=("$suite"); fi
    checks+=("| \`$suite\` | $result | ${summary:-no summary ($suite.log)} | $((SECONDS - start)) s |")
    echo "$suite: $result, ${summary:-status $status}"
done

stage "benchmark on wgpu (${config_list[*]}; batch $batch, $steps timed batches)"
bench_start=$SECONDS
for config in "${config_list[@]}"; do
    limit=$([ "$config" = small ] && echo 80 || echo 140)
    FLOWOOD_BENCH_BACKENDS=wgpu FLOWOOD_BENCH_CONFIG="$config" FLOWOOD_BENCH_STEPS="$steps" \
        FLOWOOD_BENCH_BATCH="$batch" limited "$limit" "bench-$config.log" "$here/bin/glow_throughput"
    status=$?
    # One table: the header once, then each configuration's rows.
    if [ -f bench.md ]; then grep '^| wgpu ' "bench-$config.log" >> bench.md; else cp "bench-$config.log" bench.md; fi
    if [ "$status" -ne 0 ] || ! grep -q '^| wgpu ' "bench-$config.log" || grep -q 'failed' "bench-$config.log"; then
        failed+=("benchmark-$config")
        [ "$status" -eq 124 ] && echo "($config: timed out after $((limit * factor)) s)" >> bench.md
    fi
done
bench_time=$((SECONDS - bench_start))
cat bench.md

stage "PyTorch twin"
torch_note=""
if [ "$torch" = off ]; then
    torch_note="Not run (--torch off)."
elif ! python3 -c "import torch, numpy" 2> /dev/null; then
    torch_note="Not run: python3 cannot import torch and numpy."
else
    if [ "$torch" = auto ]; then
        torch="$(python3 -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")"
    fi
    twin_args=(--flowood-table bench.md --flowood-backend wgpu --device "$torch" --steps "$steps"
        --batch "$batch" --threads "$(nproc)" --configs "$(IFS=,; echo "${config_list[*]}")")
    provider=$([ "$torch" = cuda ] && echo CUDAExecutionProvider || echo CPUExecutionProvider)
    if ! python3 -c "import sys, onnx, onnxruntime as o; sys.exit('$provider' not in o.get_available_providers())" 2> /dev/null; then
        twin_args+=(--no-onnxruntime)
        torch_note="onnxruntime not run: python3 lacks onnx, or onnxruntime with $provider."
    fi
    torch_start=$SECONDS
    limited 90 pytorch.md python3 "$here/pytorch/bench.py" "${twin_args[@]}"
    status=$?
    [ "$status" -eq 124 ] && echo "(timed out after $((90 * factor)) s)" >> pytorch.md
    [ "$status" -ne 0 ] && failed+=(pytorch)
    torch_note="PyTorch on $torch, $((SECONDS - torch_start)) s. $torch_note"
    cat pytorch.md
fi

if [ ${#failed[@]} -eq 0 ]; then verdict=passed; else verdict="FAILED: ${failed[*]}"; fi
{
    echo "# flowood GPU check"
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| result | $verdict |"
    echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
    echo "| bundle | $(cat "$here/BUILD") |"
    echo "| host | $(uname -srm), $(nproc) cores |"
    echo "| GPU (nvidia-smi: name, driver, memory) | ${gpu:-none} |"
    echo "| Vulkan loader | $loader_path |"
    echo "| Vulkan driver | $driver |"
    echo "| adapters WGPU finds | $(echo "${adapters:-none}" | paste -sd';' | sed 's/;/; /g') |"
    echo "| device under test | $device |"
    echo "| total time | $SECONDS s |"
    echo
    echo "## Cross-backend checks: WGPU against the CPU backend (flex)"
    echo
    echo "Every layer and a small Glow with both priors (outputs, inverses, log-dets, per-scale"
    echo "terms, gradients, within 1e-4 relative), data-dependent init on the device, and 30"
    echo "training steps on 256 real Fashion-MNIST images that must lower the test bits/dim"
    echo "(tests/backends.rs, tests/device_selection.rs)."
    echo
    echo "| suite | result | libtest summary | time |"
    echo "|---|---|---|---|"
    printf '%s\n' "${checks[@]}"
    echo
    grep -h -A12 '^---- ' device_selection.log backends.log 2> /dev/null | sed 's/^/    /'
    echo
    echo "## Benchmark: flowood on WGPU ($bench_time s)"
    echo
    echo "A training step (forward, NLL, backward, Adamax) and scoring, median images/s over $steps"
    echo "batches after two warm-up batches, each cell in a fresh process; peak MiB is what Burn's"
    echo "device allocator reserved (benches/glow_throughput.rs)."
    echo
    cat bench.md
    echo
    echo "## PyTorch twin beside it (benches/pytorch/bench.py: the same model and measures)"
    echo
    echo "$torch_note"
    [ -f pytorch.md ] && cat pytorch.md
} > report.md
stage "report: $out/report.md ($verdict)"
[ ${#failed[@]} -eq 0 ]
