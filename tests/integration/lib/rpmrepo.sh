# shellcheck shell=sh
# RPM fixtures for tests: a local repository of small noarch packages and an installroot that
# dnf and rpm use like an RPM host. Source it; every path is absolute, the caller's cwd is not
# used. Needs rpmbuild, createrepo_c and busybox (busybox-static).
#
#   rpmrepo_build DIR     build the packages into DIR (DIR/noarch/*.rpm) and run createrepo_c:
#                           hello-fp      1.0-1, 1.1-1, 2.0-1 (2.0 Requires libhello-fp)
#                           libhello-fp   1.0-1
#                           hello-fp-conf 1.0-1, 1.1-1 (%config(noreplace) /etc/hello-fp.conf)
#                           failing-fp    1.0-1, 1.1-1 (1.1's %post exits 1)
#                           fp-shell      1.0-1 (Provides: /bin/sh, no files: rpmbuild makes
#                                         every package with a scriptlet require /bin/sh, as
#                                         bash provides it on a real host; failing-fp pulls
#                                         it in as a dependency)
#                         Each package holds /opt/<name>/version with its version. The spec
#                         files and the build tree are in DIR.build (removed afterwards).
#   rpmrepo_pkg DIR NAME VERSION RELEASE [EXTRA SPEC LINES] [POST SCRIPT]
#                         build one more package into DIR (run createrepo_c DIR afterwards).
#   rpmroot_new ROOT REPO make an installroot: ROOT/etc/os-release (AlmaLinux 9.4),
#                         ROOT/etc/yum.repos.d/local.repo (baseurl file://REPO, gpgcheck=0),
#                         ROOT/etc/dnf/dnf.conf, and busybox as ROOT/bin/sh and ROOT/usr/bin/sh
#                         (rpm runs scriptlets chrooted into the root: without a shell there every
#                         scriptlet fails). Use: dnf --installroot=ROOT
#                         --setopt=reposdir=ROOT/etc/yum.repos.d --releasever=9 ...
#
# Functions return non-zero (with the tool's output on stderr) when a step fails.

rpmrepo_pkg() {
        _d=$1 _n=$2 _v=$3 _r=$4
        case $_d in /*) ;; *) echo "rpmrepo_pkg: DIR must be absolute: $_d" >&2; return 1 ;; esac
        mkdir -p "$_d.build/specs" || return 1
        _spec=$_d.build/specs/$_n-$_v-$_r.spec
        {
                printf 'Name: %s\nVersion: %s\nRelease: %s\n' "$_n" "$_v" "$_r"
                printf 'Summary: fleetpatch test package\nLicense: MIT\nBuildArch: noarch\n'
                [ -n "${5:-}" ] && printf '%s\n' "$5"
                printf '%%description\nfleetpatch test package\n'
                printf '%%install\nmkdir -p %%{buildroot}/opt/%s\n' "$_n"
                printf 'echo %s-%s > %%{buildroot}/opt/%s/version\n' "$_v" "$_r" "$_n"
                case $_n in
                hello-fp-conf)
                        printf 'mkdir -p %%{buildroot}/etc\n'
                        printf 'echo "setting=%s" > %%{buildroot}/etc/hello-fp.conf\n' "$_v"
                        ;;
                esac
                if [ -n "${6:-}" ]; then
                        printf '%%post\n%s\n' "$6"
                fi
                printf '%%files\n/opt/%s\n' "$_n"
                case $_n in
                hello-fp-conf) printf '%%config(noreplace) /etc/hello-fp.conf\n' ;;
                esac
        } > "$_spec" || return 1
        if ! rpmbuild -bb --quiet --define "_topdir $_d.build" --define "_rpmdir $_d" \
                --define "debug_package %{nil}" --define "_build_id_links none" \
                "$_spec" > "$_d.build/rpmbuild.log" 2>&1; then
                cat "$_d.build/rpmbuild.log" >&2
                echo "rpmrepo_pkg: rpmbuild $_n-$_v-$_r failed" >&2
                return 1
        fi
}

rpmrepo_build() {
        _dir=$1
        case $_dir in /*) ;; *) echo "rpmrepo_build: DIR must be absolute: $_dir" >&2; return 1 ;; esac
        mkdir -p "$_dir" || return 1
        rpmrepo_pkg "$_dir" hello-fp 1.0 1 || return 1
        rpmrepo_pkg "$_dir" hello-fp 1.1 1 || return 1
        rpmrepo_pkg "$_dir" hello-fp 2.0 1 'Requires: libhello-fp >= 1.0' || return 1
        rpmrepo_pkg "$_dir" libhello-fp 1.0 1 || return 1
        rpmrepo_pkg "$_dir" hello-fp-conf 1.0 1 || return 1
        rpmrepo_pkg "$_dir" hello-fp-conf 1.1 1 || return 1
        rpmrepo_pkg "$_dir" fp-shell 1.0 1 'Provides: /bin/sh' || return 1
        rpmrepo_pkg "$_dir" failing-fp 1.0 1 '' 'exit 0' || return 1
        rpmrepo_pkg "$_dir" failing-fp 1.1 1 '' 'echo "failing-fp: post fails on purpose" >&2; exit 1' ||
                return 1
        rm -rf "$_dir.build"
        if ! createrepo_c -q "$_dir" >&2; then
                echo "rpmrepo_build: createrepo_c $_dir failed" >&2
                return 1
        fi
}

rpmroot_new() {
        _root=$1 _repo=$2
        case $_root in /*) ;; *) echo "rpmroot_new: ROOT must be absolute: $_root" >&2; return 1 ;; esac
        case $_repo in /*) ;; *) echo "rpmroot_new: REPO must be absolute: $_repo" >&2; return 1 ;; esac
        _bb=$(command -v busybox) || { echo "rpmroot_new: busybox not installed" >&2; return 1; }
        mkdir -p "$_root/etc/yum.repos.d" "$_root/etc/dnf" "$_root/bin" "$_root/usr/bin" \
                "$_root/var/cache/dnf" "$_root/tmp" || return 1
        cat > "$_root/etc/os-release" <<'OSR'
NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
OSR
        printf '[main]\ngpgcheck=0\ninstall_weak_deps=False\nbest=True\n' > "$_root/etc/dnf/dnf.conf"
        printf '[local]\nname=local test repository\nbaseurl=file://%s\ngpgcheck=0\nenabled=1\n' \
                "$_repo" > "$_root/etc/yum.repos.d/local.repo" || return 1
        # busybox-static: a dynamic shell would need the host's libraries inside the root
        cp "$_bb" "$_root/bin/sh" && cp "$_bb" "$_root/usr/bin/sh" || return 1
}
