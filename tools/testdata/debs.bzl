"""Real Debian packages the tests read, pinned by sha256 (one entry per line: Rust parses this).

Debian removes superseded point-release versions from the pool: when a download starts to
fail, update the entry to the version in bookworm's (trixie's) Packages index.
"""

TEST_DEBS = {
    "base-files": ("3eb1ea6d85488f488cc2a163b98ad640ef88cee4c79287cf14e361aaf6206f47", "https://deb.debian.org/debian/pool/main/b/base-files/base-files_12.4+deb12u15_amd64.deb"),
    "base-files-trixie": ("f5a0546098f38bad5843380521781fe7214e5a283d3bed63f79c505545f262af", "https://deb.debian.org/debian/pool/main/b/base-files/base-files_13.8+deb13u8_amd64.deb"),
    "bzip2": ("438871b3f5c5c7a357a9840951dab9dab8db7eb1ff760a563226fafa111b99e5", "https://deb.debian.org/debian/pool/main/b/bzip2/bzip2_1.0.8-5+b1_amd64.deb"),
    "ca-certificates": ("0d5f444f594e48c1e16a41d8fc628a09b24c658916a1274025c2330f2a802bed", "https://deb.debian.org/debian/pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb"),
    "libc-bin": ("e667401af91fad95f15b3ebd25d1abd8373fd18b00dc32219678413170544e84", "https://deb.debian.org/debian/pool/main/g/glibc/libc-bin_2.36-9+deb12u14_amd64.deb"),
    "libc-bin-trixie": ("f30ee7381a9c6a3936165259bcd58e65f4b288e351606d200c8435724c5876dd", "https://deb.debian.org/debian/pool/main/g/glibc/libc-bin_2.41-12+deb13u5_amd64.deb"),
    "libc6": ("ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf", "https://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb"),
    "libc6-trixie": ("b59b0625cd1a791375d40dab23a4d5d3d0641e3d0a773501becdc3725b7f99cf", "https://deb.debian.org/debian/pool/main/g/glibc/libc6_2.41-12+deb13u5_amd64.deb"),
    "libc6-trixie-arm64": ("0966fc3da1a26cc57647c68b5736f791b6e7eb498173a7993f63b6c89b4ed4f5", "https://deb.debian.org/debian/pool/main/g/glibc/libc6_2.41-12+deb13u5_arm64.deb"),
    "libc6-trixie-armhf": ("2061abc005d078226a3be33e11e2e422f712827833eedd81fae55b203f792604", "https://deb.debian.org/debian/pool/main/g/glibc/libc6_2.41-12+deb13u5_armhf.deb"),
    "libc6-trixie-riscv64": ("107a6b5d327f81122549b1c5bfa9cfdea2532c4fddd9e0211a915bdfdf22d7f5", "https://deb.debian.org/debian/pool/main/g/glibc/libc6_2.41-12+deb13u5_riscv64.deb"),
    "libssl3t64-trixie": ("ffefb9af363e0e4592251b2533eb06453c8e470f7772e40263c4b2129251a6d5", "https://deb.debian.org/debian/pool/main/o/openssl/libssl3t64_3.5.9-1~deb13u1_amd64.deb"),
    "locales-all": ("1e04749059effed50132c7e47b988c98269e40d636f2fefc257592d14ea7bf25", "https://deb.debian.org/debian/pool/main/g/glibc/locales-all_2.36-9+deb12u14_amd64.deb"),
    "tzdata": ("0edb49f4dffe0d5608069f7e4ba4d69544d3b9e86fc314dd8b75e9958d8e5e98", "https://deb.debian.org/debian/pool/main/t/tzdata/tzdata_2026b-0+deb12u1_all.deb"),
    "zlib1g-dev-trixie": ("88ebb839a7a54c97dceb647e2a2bfa2451d6f440801ceef3d56f654022637eb9", "https://deb.debian.org/debian/pool/main/z/zlib/zlib1g-dev_1.3.dfsg+really1.3.1-1+deb13u1_amd64.deb"),
    "zlib1g-trixie": ("8c27c342230503b73dfde629642c3b352e87b554e06d60cf58772f236a305ceb", "https://deb.debian.org/debian/pool/main/z/zlib/zlib1g_1.3.dfsg+really1.3.1-1+deb13u1_amd64.deb"),
}

def test_deb_repo(name):
    """The repository name of a test package (declared by the test_debs extension)."""
    return "test_deb_" + name.replace("-", "_")

def test_deb_env_var(name):
    """The variable through which a Rust test finds a test package (see src/lib.rs)."""
    return "TEST_DEB_" + name.replace("-", "_").upper()

def test_deb_data(names):
    """`data` and `env` attributes that give a test the named packages.

    Args:
      names: keys of TEST_DEBS.

    Returns:
      A struct with `data` (labels) and `env` (variable -> runfiles path).
    """
    labels = {n: "@%s//file" % test_deb_repo(n) for n in names}
    return struct(
        data = labels.values(),
        env = {test_deb_env_var(n): "$(rootpath %s)" % labels[n] for n in names},
    )
