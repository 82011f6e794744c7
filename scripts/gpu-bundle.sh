#!/usr/bin/env bash
# Builds the GPU bundle (docs/gpu.md): flowood's cross-backend suites (tests/backends.rs,
# tests/device_selection.rs) and benchmark (benches/glow_throughput.rs) as stripped release
# executables with the wgpu backend, the 320 Fashion-MNIST images the suites train and test
# on, the Vulkan loader, the PyTorch twin's benchmark and the run script
# (scripts/gpu-bundle-run.sh), packed as dist/flowood-gpu-check.tar.xz. Running it needs no
# network, cargo or compiler.
#
#   bash scripts/gpu-bundle.sh             # dist/flowood-gpu-check.tar.xz
#   bash scripts/gpu-bundle.sh --verify    # the same, then runs it here on software Vulkan
#   PYTHON=.venv-pytorch/bin/python3 bash scripts/gpu-bundle.sh --verify   # with the twin
#
# --verify unpacks the archive into a temporary folder and runs it with tiny settings (the
# small configuration, batch 8, one timed batch) on this machine's Vulkan driver (Mesa's
# llvmpipe where there is no GPU), through the bundled loader, with cargo off the PATH, a fresh
# HOME and no FLOWOOD_DATA; it fails unless the run passes and its report names the device
# and holds the benchmark's row. PYTHON, if set, is the python3 the run finds (a PyTorch twin
# run on that machine's CPU or GPU).
#
# Needs: cargo, strip and objdump (binutils), xz, the Vulkan loader libvulkan.so.1 to carry
# (Debian's libvulkan1), Fashion-MNIST under $FLOWOOD_DATA (fetched if missing); --verify
# also a Vulkan driver (mesa-vulkan-drivers without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."

verify=false
case "${1:-}" in
    "") ;;
    --verify) verify=true ;;
    *) echo "usage: $0 [--verify]" >&2; exit 2 ;;
esac
# At most this many bytes compressed (the machines it travels to take 64 MB in all).
max_bytes=40000000
name=flowood-gpu-check
dist=dist
bundle="$dist/$name"
export FLOWOOD_DATA="${FLOWOOD_DATA:-$PWD/data}"
export CARGO_TERM_COLOR=never

stage() { echo "== [$(date +%T), ${SECONDS}s] $*"; }

if [ ! -d "$FLOWOOD_DATA/fashion-mnist" ]; then
    bash scripts/fetch-data.sh "$FLOWOOD_DATA"
fi
# (awk reads all of ldconfig's list: a reader that stops early would fail it under pipefail)
loader="$(ldconfig -p 2> /dev/null | awk '$1 == "libvulkan.so.1" && !n++ { print $NF }')"
if [ -z "$loader" ]; then
    echo "no Vulkan loader (libvulkan.so.1) to carry: install libvulkan1" >&2
    exit 1
fi

stage "build: the suites and the benchmark, release, --features wgpu"
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
cargo test --release --features wgpu --test backends --test device_selection \
    --bench glow_throughput --no-run --message-format=json-render-diagnostics > "$build_log"
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/data/fashion-mnist" "$bundle/pytorch"
for target in backends device_selection glow_throughput; do
    exe="$(grep -o "\"executable\":\"[^\"]*/$target-[0-9a-f]*\"" "$build_log" | tail -n 1 |
        cut -d'"' -f4)"
    strip -o "$bundle/bin/$target" "$exe"
done

# As many as training_on_the_device_lowers_the_loss (tests/backends.rs) reads.
stage "data: the first 256 training and 64 test images of Fashion-MNIST"
# idx_head NAME N: the first N items of the IDX file NAME (gzip), its count set to N.
idx_head() {
    local name="$1" n="$2" raw header item
    raw="$(mktemp)"
    gzip -dc "$FLOWOOD_DATA/fashion-mnist/$name.gz" > "$raw"
    case "$name" in
        *images*) header=16 item=784 ;; # magic, count, 28, 28; 28x28 bytes each
        *) header=8 item=1 ;;           # magic, count; one byte each
    esac
    {
        head -c 4 "$raw"
        # the count, four bytes big-endian
        printf "$(printf '\\x%02x' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))"
        dd if="$raw" iflag=skip_bytes,count_bytes skip=8 count=$((header - 8 + n * item)) \
            status=none
    } > "$bundle/data/fashion-mnist/$name"
    rm -f "$raw"
}
for split_n in train:256 t10k:64; do
    idx_head "${split_n%:*}-images-idx3-ubyte" "${split_n#*:}"
    idx_head "${split_n%:*}-labels-idx1-ubyte" "${split_n#*:}"
done

stage "the Vulkan loader, the PyTorch twin, the run script"
cp -L "$loader" "$bundle/lib/libvulkan.so.1"
dpkg-query -W -f='${Version}' libvulkan1 > "$bundle/lib/libvulkan.version" 2> /dev/null ||
    basename "$(readlink -f "$loader")" > "$bundle/lib/libvulkan.version"
if [ -f /usr/share/doc/libvulkan1/copyright ]; then
    cp /usr/share/doc/libvulkan1/copyright "$bundle/lib/libvulkan1.copyright"
fi
cp benches/pytorch/{bench.py,glow_twin.py,presets.py,export_onnx.py,ort_twin.py} "$bundle/pytorch/"
cp scripts/gpu-bundle-run.sh "$bundle/run.sh"
chmod +x "$bundle/run.sh"
cp docs/gpu.md "$bundle/README.md"
glibc="$(objdump -T "$bundle"/bin/* | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)"
echo "flowood $(git describe --always --dirty 2> /dev/null || echo unknown)," \
    "built $(date -u +%Y-%m-%d) with $(rustc --version | cut -d' ' -f1-2), needs ${glibc/_/ }" \
    > "$bundle/BUILD"
cat "$bundle/BUILD"

stage "compress"
tar -C "$dist" -cf - "$name" | xz -9 -T0 > "$dist/$name.tar.xz"
size=$(stat -c %s "$dist/$name.tar.xz")
echo "$dist/$name.tar.xz: $((size / 1000000)) MB ($size bytes), unpacked $(du -sm "$bundle" | cut -f1) MiB"
if [ "$size" -gt "$max_bytes" ]; then
    echo "the bundle is over $max_bytes bytes" >&2
    exit 1
fi
$verify || exit 0

stage "verify: the bundle on this machine's Vulkan, tiny settings"
work="$(mktemp -d)"
tar -C "$work" -xJf "$dist/$name.tar.xz"
mkdir "$work/home"
path=/usr/local/bin:/usr/bin:/bin
[ -n "${PYTHON:-}" ] && path="$(dirname "$PYTHON"):$path"
start=$SECONDS
status=0
env -i PATH="$path" HOME="$work/home" LANG=C.UTF-8 CUBECL_AUTOTUNE_LEVEL=minimal \
    "$work/$name/run.sh" --out "$work/report" --configs small --steps 1 --batch 8 \
    --loader bundled --timeout-factor 6 || status=$?
report="$work/report/report.md"
cat "$report"
grep -q '^| result | passed |' "$report"
grep -q '^| device under test | .* through Vulkan ' "$report"
grep -q '^| wgpu | small ' "$report"
[ "$status" -eq 0 ]
stage "verified in $((SECONDS - start)) s: $report"
