# debrepo.sh: Debian fixtures for tests (source it; POSIX sh). Builds local apt repositories
# of small test packages and sandbox roots that dpkg/apt act on with --root / -o Dir=, so no
# test ever touches the machine's own packages. Needs dpkg-deb, apt-ftparchive (apt-utils),
# busybox (the roots' /bin/sh) and, for signing, gpg. Every path is made absolute first, so
# the functions do not depend on the caller's working directory. On failure they print why
# on stderr and return non-zero.
#
# debrepo_build DIR
#       Builds the packages under DIR/src and one flat repository DIR/repo (Packages, Release
#       by apt-ftparchive; use "deb file:DIR/repo ./"):
#         hello-fp       1.0, 1.1, 2.0  (2.0 Depends: libhello-fp (>= 1.0)); ships
#                        /opt/hello-fp/version holding its version
#         libhello-fp    1.0            (new dependency of hello-fp 2.0)
#         hello-fp-conf  1.0, 1.1       conffile /etc/hello-fp.conf, default content
#                                       "greeting=one" (1.0) / "greeting=two" (1.1)
#         failing-fp     1.0, 1.1       1.1's postinst exits 1 on purpose (1.0's exits 0)
#         conflict-fp    1.0            Conflicts: hello-fp (installing it removes hello-fp)
#       Sets DEBREPO_REPO=DIR/repo.
# debrepo_sign DIR GNUPGHOME
#       Makes a signing key in GNUPGHOME (created 0700 if needed, no passphrase), signs
#       DIR/repo/Release into InRelease (clearsigned) and Release.gpg, and exports the public
#       key to DIR/repo/repo-key.gpg (binary, for a root's /etc/apt/trusted.gpg.d/). Run it
#       again after changing the repository to re-sign it.
# debrepo_refresh DIR
#       Regenerates Packages and Release of DIR/repo after a test added .debs (unsigned again).
# debroot_new ROOT REPO [signed]
#       Makes a sandbox root: dpkg's database (empty status), apt's directories, busybox as
#       /bin/sh (dpkg chroots into ROOT for maintainer scripts) and sources.list with
#       "deb [trusted=yes] file:REPO ./", or with "signed": "deb file:REPO ./" and
#       REPO/repo-key.gpg copied to ROOT/etc/apt/trusted.gpg.d/fleetpatch-test.gpg.
# debroot_apt_opts ROOT
#       Prints the apt-get options that point apt at ROOT (as TESTING.md), for the test's own
#       oracle calls: apt-get $(debroot_apt_opts "$R") -s install ...

_debrepo_abs() {
        case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(pwd)" "$1" ;;
        esac
}

# _debrepo_pkg SRC OUT NAME VERSION [control lines] [postinst body] [conffile content]
_debrepo_pkg() {
        _s=$1/$3-$4
        rm -rf "$_s"
        mkdir -p "$_s/DEBIAN" "$_s/opt/$3" "$2" || return 1
        {
                printf 'Package: %s\nVersion: %s\nArchitecture: all\n' "$3" "$4"
                printf 'Maintainer: fleetpatch tests <t@example.org>\n'
                [ -n "${5:-}" ] && printf '%s\n' "$5"
                printf 'Description: fleetpatch backend test package\n'
        } >"$_s/DEBIAN/control"
        printf '%s\n' "$4" >"$_s/opt/$3/version"
        printf '#!/bin/sh\n%s\n' "${6:-exit 0}" >"$_s/DEBIAN/postinst"
        chmod 755 "$_s/DEBIAN/postinst"
        if [ -n "${7:-}" ]; then
                mkdir -p "$_s/etc"
                printf '%s\n' "$7" >"$_s/etc/hello-fp.conf"
                printf '/etc/hello-fp.conf\n' >"$_s/DEBIAN/conffiles"
        fi
        dpkg-deb -b --root-owner-group "$_s" "$2/$3_$4_all.deb" >/dev/null ||
                { echo "debrepo: dpkg-deb failed for $3 $4" >&2; return 1; }
}

debrepo_refresh() {
        _r=$(_debrepo_abs "$1")/repo
        rm -f "$_r/InRelease" "$_r/Release.gpg"
        (cd "$_r" && apt-ftparchive packages . >Packages 2>/dev/null &&
                apt-ftparchive -o APT::FTPArchive::Release::Origin=FPTest \
                        -o APT::FTPArchive::Release::Label=FPTest \
                        -o APT::FTPArchive::Release::Suite=stable \
                        -o APT::FTPArchive::Release::Codename=fptest release . >Release.tmp &&
                mv Release.tmp Release) ||
                { echo "debrepo: apt-ftparchive failed in $_r" >&2; return 1; }
}

debrepo_build() {
        _d=$(_debrepo_abs "$1")
        _o=$_d/repo
        mkdir -p "$_d/src" "$_o" || return 1
        for _v in 1.0 1.1; do
                _debrepo_pkg "$_d/src" "$_o" hello-fp $_v || return 1
        done
        _debrepo_pkg "$_d/src" "$_o" hello-fp 2.0 'Depends: libhello-fp (>= 1.0)' || return 1
        _debrepo_pkg "$_d/src" "$_o" libhello-fp 1.0 || return 1
        _debrepo_pkg "$_d/src" "$_o" hello-fp-conf 1.0 '' 'exit 0' 'greeting=one' || return 1
        _debrepo_pkg "$_d/src" "$_o" hello-fp-conf 1.1 '' 'exit 0' 'greeting=two' || return 1
        _debrepo_pkg "$_d/src" "$_o" failing-fp 1.0 || return 1
        _debrepo_pkg "$_d/src" "$_o" failing-fp 1.1 '' \
                'echo "failing-fp: postinst fails on purpose" >&2; exit 1' || return 1
        _debrepo_pkg "$_d/src" "$_o" conflict-fp 1.0 'Conflicts: hello-fp' || return 1
        debrepo_refresh "$_d" || return 1
        DEBREPO_REPO=$_o
}

debrepo_sign() {
        _r=$(_debrepo_abs "$1")/repo
        _g=$(_debrepo_abs "$2")
        mkdir -p "$_g" && chmod 700 "$_g" || return 1
        if ! GNUPGHOME=$_g gpg --batch --list-secret-keys 2>/dev/null | grep -q sec; then
                GNUPGHOME=$_g gpg --batch --quiet --passphrase '' \
                        --quick-gen-key 'fleetpatch test repo <repo@example.org>' default \
                        default never 2>/dev/null ||
                        { echo "debrepo: gpg key generation failed" >&2; return 1; }
        fi
        rm -f "$_r/InRelease" "$_r/Release.gpg"
        GNUPGHOME=$_g gpg --batch --quiet --yes --clearsign -o "$_r/InRelease" "$_r/Release" &&
                GNUPGHOME=$_g gpg --batch --quiet --yes -abs -o "$_r/Release.gpg" \
                        "$_r/Release" &&
                GNUPGHOME=$_g gpg --batch --quiet --yes --export -o "$_r/repo-key.gpg" ||
                { echo "debrepo: signing $_r failed" >&2; return 1; }
}

debroot_new() {
        _R=$(_debrepo_abs "$1")
        _repo=$(_debrepo_abs "$2")
        _bb=$(command -v busybox) || { echo "debroot: busybox missing" >&2; return 1; }
        mkdir -p "$_R/var/lib/dpkg/updates" "$_R/var/lib/dpkg/info" \
                "$_R/var/lib/apt/lists/partial" "$_R/var/cache/apt/archives/partial" \
                "$_R/etc/apt/apt.conf.d" "$_R/etc/apt/preferences.d" \
                "$_R/etc/apt/sources.list.d" "$_R/etc/apt/trusted.gpg.d" "$_R/bin" \
                "$_R/var/log/apt" || return 1
        [ -f "$_R/var/lib/dpkg/status" ] || : >"$_R/var/lib/dpkg/status"
        cp "$_bb" "$_R/bin/sh" || return 1
        if [ "${3:-}" = signed ]; then
                cp "$_repo/repo-key.gpg" "$_R/etc/apt/trusted.gpg.d/fleetpatch-test.gpg" ||
                        return 1
                echo "deb file:$_repo ./" >"$_R/etc/apt/sources.list"
        else
                echo "deb [trusted=yes] file:$_repo ./" >"$_R/etc/apt/sources.list"
        fi
}

debroot_apt_opts() {
        _R=$(_debrepo_abs "$1")
        printf '%s\n' "-o Dir=$_R -o Dir::State::status=$_R/var/lib/dpkg/status" \
                "-o DPkg::Options::=--root=$_R -o DPkg::Options::=--log=$_R/var/log/dpkg.log"
}
