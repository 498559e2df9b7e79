#!/bin/sh
# Builds the .deb with CPack, unpacks it into a scratch root (no dpkg database touched, no
# container) and runs the installed votedesk from there; checks the declared dependencies
# and the desktop integration files. Usage: check-package.sh BUILD_DIR
set -eu
BUILD_DIR=$1
WORK=$(mktemp -d /tmp/votedesk-package.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cpack --config "$BUILD_DIR/CPackConfig.cmake" -B "$WORK/out" > "$WORK/cpack.log" 2>&1 || {
    cat "$WORK/cpack.log"
    exit 1
}
DEB=$(ls "$WORK"/out/*.deb)
echo "package: $(basename "$DEB")"

DEPENDS=$(dpkg-deb -f "$DEB" Depends)
echo "depends: $DEPENDS"
for needed in libqt6widgets6 libqt6charts6 libqt6network6 libsqlite3-0 qt6-qpa-plugins; do
    echo "$DEPENDS" | grep -q "$needed" || { echo "missing dependency $needed"; exit 1; }
done

dpkg-deb -x "$DEB" "$WORK/root"
for file in usr/bin/votedesk usr/bin/votedesk-loadgen \
            usr/share/applications/org.votedesk.Votedesk.desktop \
            usr/share/icons/hicolor/scalable/apps/org.votedesk.Votedesk.svg \
            usr/share/metainfo/org.votedesk.Votedesk.metainfo.xml; do
    [ -e "$WORK/root/$file" ] || { echo "the package lacks /$file"; exit 1; }
done
desktop-file-validate "$WORK/root/usr/share/applications/org.votedesk.Votedesk.desktop"

VERSION=$("$WORK/root/usr/bin/votedesk" --version)
echo "installed binary says: $VERSION"
case "$VERSION" in
    "votedesk "[0-9]*) ;;
    *) echo "unexpected --version output"; exit 1 ;;
esac
"$WORK/root/usr/bin/votedesk-loadgen" --help > /dev/null
