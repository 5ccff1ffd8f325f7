#!/usr/bin/python3
"""The Debian package, built by CPack from the build folder and unpacked into a throwaway root.

Checks what a fresh Debian 12 machine would get from `apt install ./ambi_*.deb`:
- the programs are in /usr/bin and run (--help) from the unpacked tree;
- every shipped unit's ExecStart program and --config file are in the package, its User is an
  account the package's sysusers file creates, and nothing is enabled by the package;
- the exercise catalog and the page's files (index.html and every file it links) are where the
  binaries look for them: every /usr/.../share/ambi path compiled into a binary exists;
- /etc/ambi/*.toml are conffiles; the postinst creates the account and starts nothing;
- every Depends (`dpkg-deb -I`) is a Debian package installed on this machine (dpkg-shlibdeps
  named them), and apt resolves them: `apt-get install --simulate ./ambi_*.deb` plans to install
  the package and remove nothing (a simulation: the machine is not changed);
- the Python client imports from /usr/lib/python3/dist-packages.

  package_test.py --build-dir build/release --work build/release/package-test
"""

import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

TIMEOUT_S = 480
PROGRAMS = ["ambid", "ambictl", "ambi-watch", "ambi-web"]


class Checker:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def true(self, condition, what):
        self.checks += 1
        if not condition:
            self.failures.append(what)


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def unit_settings(path):
    """The unit's key=value lines (repeated keys keep every value)."""
    settings = {}
    with open(path, encoding="utf-8") as unit:
        for line in unit:
            line = line.strip()
            if not line or line.startswith(("#", ";", "[")) or "=" not in line:
                continue
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def sysusers_accounts(root):
    accounts = set()
    for path in glob.glob(os.path.join(root, "usr/lib/sysusers.d/*.conf")):
        with open(path, encoding="utf-8") as conf:
            for line in conf:
                fields = line.split()
                if len(fields) >= 2 and fields[0] == "u":
                    accounts.add(fields[1])
    return accounts


def compiled_data_paths(binary):
    """Absolute paths under /usr/.../share/ambi that the binary carries (its data locations)."""
    with open(binary, "rb") as program:
        data = program.read()
    # Whole C strings only (NUL on both sides): an optimiser may also build a literal from
    # immediates inside the code, whose bytes run into their neighbours.
    pattern = rb"(?<=\x00)/usr(?:/[\w.+-]+)*/share/ambi(?:/[\w.+-]+)*(?=\x00)"
    paths = {m.decode() for m in re.findall(pattern, data)}
    # A string of 17-31 bytes may also be built from two overlapping 16-byte constants, its
    # first and its last 16 bytes, which sit side by side in the constant pool and read as one
    # longer string: /usr/share/ambi/ + i/exercises.toml. That is not a path the program uses.
    return {c for c in paths
            if not any(c == p[:16] + p[-16:] for p in paths if 16 < len(p) < 32)}


def local_references(html_path):
    with open(html_path, encoding="utf-8") as page:
        html = page.read()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"'#?]+)""", html)
    return [r for r in refs if not re.match(r"^[a-z]+:|^//", r)]


def installed(package):
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                            text=True, timeout=60)
    return result.returncode == 0 and result.stdout.endswith("installed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    check = Checker()

    # CPack installs the build into a staging folder and packs it (stripped, with dpkg-shlibdeps).
    run(["cpack", "--config", os.path.join(args.build_dir, "CPackConfig.cmake"), "-G", "DEB",
         "-B", args.work])
    debs = glob.glob(os.path.join(args.work, "*.deb"))
    if len(debs) != 1:
        raise AssertionError(f"cpack made {debs}, want one .deb")
    deb = debs[0]
    root = os.path.join(args.work, "root")
    control = os.path.join(args.work, "control")
    run(["dpkg-deb", "-x", deb, root])
    run(["dpkg-deb", "-e", deb, control])
    contents = run(["dpkg-deb", "--contents", deb])
    print(f"{os.path.basename(deb)}: {os.path.getsize(deb) / 1e6:.1f} MB, "
          f"{len(contents.splitlines())} entries")

    # Programs.
    for program in PROGRAMS:
        path = os.path.join(root, "usr/bin", program)
        check.true(os.access(path, os.X_OK), f"/usr/bin/{program} is in the package")
        if os.access(path, os.X_OK):
            result = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60)
            check.true(result.returncode == 0 and program in result.stdout,
                       f"{program} --help from the package runs (exit {result.returncode}: "
                       f"{result.stderr[-300:]})")

    # Units: what they start and read is in the package; their user is created; none enabled.
    accounts = sysusers_accounts(root)
    check.true("ambi" in accounts, f"sysusers.d creates the ambi account (got {accounts})")
    units = sorted(glob.glob(os.path.join(root, "usr/lib/systemd/system/*.service")))
    names = [os.path.basename(u) for u in units]
    check.true("ambid.service" in names and "ambi-web.service" in names,
               f"both units are shipped (got {names})")
    for unit in units:
        name = os.path.basename(unit)
        settings = unit_settings(unit)
        for exec_start in settings.get("ExecStart", []):
            argv = shlex.split(exec_start.lstrip("-@:+!"))
            check.true(os.access(os.path.join(root, argv[0].lstrip("/")), os.X_OK),
                       f"{name}: ExecStart program {argv[0]} is in the package")
            for i, arg in enumerate(argv[:-1]):
                if arg == "--config":
                    check.true(os.path.isfile(os.path.join(root, argv[i + 1].lstrip("/"))),
                               f"{name}: --config {argv[i + 1]} is in the package")
        for user in settings.get("User", []):
            check.true(user in accounts, f"{name}: User={user} is created by sysusers.d")
    check.true(not glob.glob(os.path.join(root, "etc/systemd/system/*.wants")) and
               not glob.glob(os.path.join(root, "lib/systemd/system/*.wants")),
               "the package enables no unit itself")

    # Data where the binaries look for it.
    share = os.path.join(root, "usr/share/ambi")
    check.true(os.path.isfile(os.path.join(share, "exercises.toml")), "catalog in /usr/share/ambi")
    index = os.path.join(share, "www/index.html")
    check.true(os.path.isfile(index), "the page in /usr/share/ambi/www")
    if os.path.isfile(index):
        refs = local_references(index)
        check.true(len(refs) >= 2, f"index.html links its files (got {refs})")
        for ref in refs:
            check.true(os.path.isfile(os.path.join(share, "www", ref.lstrip("/"))),
                       f"index.html's {ref} is in /usr/share/ambi/www")
    # ambid (the catalog) and ambi-web (the page's files); ambictl's catalog path is the same
    # definition as ambid's, built in code rather than kept as a C string.
    for program in ["ambid", "ambi-web"]:
        path = os.path.join(root, "usr/bin", program)
        if not os.path.isfile(path):
            continue
        paths = compiled_data_paths(path)
        check.true(bool(paths), f"{program} carries its installed data paths")
        for data_path in sorted(paths):
            check.true(os.path.exists(os.path.join(root, data_path.lstrip("/"))),
                       f"{program} looks for {data_path}, which the package must hold")

    # Control files.
    with open(os.path.join(control, "conffiles"), encoding="utf-8") as conffiles:
        listed = conffiles.read().split()
    for conf in ["/etc/ambi/ambid.toml", "/etc/ambi/ambi-web.toml"]:
        check.true(conf in listed, f"{conf} is a conffile")
        check.true(os.path.isfile(os.path.join(root, conf.lstrip("/"))), f"{conf} is shipped")
    with open(os.path.join(control, "postinst"), encoding="utf-8") as postinst:
        script = postinst.read()
    check.true("systemd-sysusers" in script, "postinst creates the account")
    check.true(not re.search(r"systemctl\s+(enable|start|restart)|deb-systemd-invoke", script),
               "postinst enables and starts nothing")

    # Dependencies: Debian packages, present on this Debian 12 machine.
    info = run(["dpkg-deb", "-I", deb])
    depends_lines = [line.split(":", 1)[1].strip() for line in info.splitlines()
                     if line.strip().startswith("Depends:")]
    check.true(len(depends_lines) == 1, f"dpkg-deb -I shows one Depends line (got {depends_lines})")
    fields = depends_lines[0] if depends_lines else ""
    check.true(fields == run(["dpkg-deb", "--field", deb, "Depends"]).strip(),
               "dpkg-deb -I and --field agree on Depends")
    check.true("libgrpc" in fields and "systemd" in fields,
               f"Depends names gRPC's library and systemd (got {fields})")
    for dependency in fields.split(","):
        alternatives = [a.strip().split()[0] for a in dependency.split("|") if a.strip()]
        check.true(any(installed(a) for a in alternatives),
                   f"dependency {dependency.strip()} is an installed Debian package")
    # apt resolves the dependencies as `apt install ./ambi_*.deb` would, without installing
    # anything (--simulate; no lock needed, so the test never waits on or changes the system).
    simulated = subprocess.run(
        ["apt-get", "install", "--simulate", "--no-install-recommends", "-o",
         "Debug::NoLocking=1", os.path.abspath(deb)],
        capture_output=True, text=True, timeout=TIMEOUT_S,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    plan = simulated.stdout.splitlines()
    check.true(simulated.returncode == 0,
               f"apt-get install --simulate resolves the dependencies (exit "
               f"{simulated.returncode}: {simulated.stderr[-800:]}{simulated.stdout[-800:]})")
    check.true(any(line.startswith("Inst ambi ") for line in plan),
               f"apt-get --simulate plans to install ambi: {simulated.stdout[-800:]}")
    check.true(not any(line.startswith("Remv ") for line in plan),
               f"installing ambi removes no package: {[l for l in plan if l.startswith('Remv')]}")
    pulled = [line.split()[1] for line in plan if line.startswith("Inst ") and
              line.split()[1] != "ambi"]
    print(f"apt-get --simulate: installs ambi{' and ' + ', '.join(pulled) if pulled else ''}")

    # The Python client.
    site = os.path.join(root, "usr/lib/python3/dist-packages")
    result = subprocess.run(
        ["/usr/bin/python3", "-c", "import ambi_client, ambi.v1.service_pb2_grpc"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": site})
    check.true(result.returncode == 0, f"the Python client imports: {result.stderr[-500:]}")

    print(f"{check.checks} checks, {len(check.failures)} failed")
    for failure in check.failures:
        print("FAIL:", failure)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
