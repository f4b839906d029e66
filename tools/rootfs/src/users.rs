//! `/etc/passwd` and `/etc/group` from declared entries (no `useradd` runs in a distroless
//! build), plus home directories. Entries are written in the order given, so that the user
//! controls it; everything is validated first because a stray `:` or newline would silently
//! shift fields or add accounts.

use std::collections::{HashMap, HashSet};

use layer::{Entry, Kind};
use serde::Deserialize;

use crate::Error;

pub const PASSWD_PATH: &str = "etc/passwd";
pub const GROUP_PATH: &str = "etc/group";

/// Longest name `useradd` accepts on Debian.
const MAX_NAME_LEN: usize = 32;
/// `(uid_t)-1` means "no change" to `chown(2)`, so it cannot be an id.
const MAX_ID: u32 = u32::MAX - 1;

/// One `/etc/passwd` line. The password field is always `x`: images have no passwords.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

/// One `/etc/group` line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    #[serde(default)]
    pub members: Vec<String>,
}

/// A home directory to create, since nothing else would. `mode` holds permission bits
/// (JSON has no octal: `0o700` is 448).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Home {
    pub path: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// `root`, `nobody` and `nonroot`, as in Google's distroless base images.
pub fn distroless_users() -> Vec<User> {
    let user = |name: &str, id: u32, home: &str| User {
        name: name.into(),
        uid: id,
        gid: id,
        gecos: name.into(),
        home: home.into(),
        shell: "/sbin/nologin".into(),
    };
    vec![
        user("root", 0, "/root"),
        user("nobody", 65534, "/nonexistent"),
        user("nonroot", 65532, "/home/nonroot"),
    ]
}

/// The groups of Google's distroless base images.
pub fn distroless_groups() -> Vec<Group> {
    let group = |name: &str, gid: u32| Group {
        name: name.into(),
        gid,
        members: Vec::new(),
    };
    vec![
        group("root", 0),
        group("nobody", 65534),
        group("tty", 5),
        group("staff", 50),
        group("nonroot", 65532),
    ]
}

/// `/root` and `/home/nonroot`, private to their owners, as in distroless.
pub fn distroless_homes() -> Vec<Home> {
    vec![
        Home {
            path: "/root".into(),
            uid: 0,
            gid: 0,
            mode: 0o700,
        },
        Home {
            path: "/home/nonroot".into(),
            uid: 65532,
            gid: 65532,
            mode: 0o700,
        },
    ]
}

/// The text of `/etc/passwd`: `name:x:uid:gid:gecos:home:shell` per user.
pub fn passwd(users: &[User]) -> Result<String, Error> {
    const FILE: &str = "passwd";
    let mut names = HashSet::new();
    let mut uids = HashMap::new();
    let mut out = String::new();
    for (index, user) in users.iter().enumerate() {
        let fail = |message: String| account_error(FILE, index, &user.name, message);
        check_name(&user.name).map_err(fail)?;
        check_field("gecos", &user.gecos).map_err(fail)?;
        check_field("home", &user.home).map_err(fail)?;
        check_field("shell", &user.shell).map_err(fail)?;
        check_absolute("home", &user.home).map_err(fail)?;
        check_absolute("shell", &user.shell).map_err(fail)?;
        check_id("uid", user.uid).map_err(fail)?;
        check_id("gid", user.gid).map_err(fail)?;
        if !names.insert(user.name.as_str()) {
            return Err(fail("name appears more than once".into()));
        }
        if let Some(other) = uids.insert(user.uid, user.name.as_str()) {
            return Err(fail(format!(
                "uid {} is already used by {other:?}",
                user.uid
            )));
        }
        out.push_str(&format!(
            "{}:x:{}:{}:{}:{}:{}\n",
            user.name, user.uid, user.gid, user.gecos, user.home, user.shell
        ));
    }
    Ok(out)
}

/// The text of `/etc/group`: `name:x:gid:member1,member2` per group.
pub fn group(groups: &[Group]) -> Result<String, Error> {
    const FILE: &str = "group";
    let mut names = HashSet::new();
    let mut gids = HashMap::new();
    let mut out = String::new();
    for (index, group) in groups.iter().enumerate() {
        let fail = |message: String| account_error(FILE, index, &group.name, message);
        check_name(&group.name).map_err(fail)?;
        check_id("gid", group.gid).map_err(fail)?;
        for (i, member) in group.members.iter().enumerate() {
            if check_name(member).is_err() {
                return Err(fail(format!("member {member:?} is not a valid user name")));
            }
            if group.members[..i].contains(member) {
                return Err(fail(format!("member {member:?} is listed twice")));
            }
        }
        if !names.insert(group.name.as_str()) {
            return Err(fail("name appears more than once".into()));
        }
        if let Some(other) = gids.insert(group.gid, group.name.as_str()) {
            return Err(fail(format!(
                "gid {} is already used by {other:?}",
                group.gid
            )));
        }
        out.push_str(&format!(
            "{}:x:{}:{}\n",
            group.name,
            group.gid,
            group.members.join(",")
        ));
    }
    Ok(out)
}

/// `/etc/passwd` as a 0644 root-owned file.
pub fn passwd_entry(users: &[User]) -> Result<Entry, Error> {
    Ok(config_file(PASSWD_PATH, passwd(users)?))
}

/// `/etc/group` as a 0644 root-owned file.
pub fn group_entry(groups: &[Group]) -> Result<Entry, Error> {
    Ok(config_file(GROUP_PATH, group(groups)?))
}

impl Home {
    /// The directory entry for this home.
    pub fn entry(&self) -> Result<Entry, Error> {
        let fail = |message: String| Error::Home {
            path: self.path.clone(),
            message,
        };
        check_absolute("path", &self.path).map_err(fail)?;
        let path = layer::normalize_path(&self.path)?
            .ok_or_else(|| fail("is the root directory".into()))?;
        check_id("uid", self.uid).map_err(fail)?;
        check_id("gid", self.gid).map_err(fail)?;
        if self.mode > 0o7777 {
            return Err(fail(format!(
                "mode {:#o} has bits beyond 0o7777",
                self.mode
            )));
        }
        Ok(Entry {
            path,
            kind: Kind::Directory,
            mode: self.mode,
            uid: self.uid.into(),
            gid: self.gid.into(),
            implicit: false,
        })
    }
}

fn config_file(path: &str, text: String) -> Entry {
    Entry {
        path: path.into(),
        kind: Kind::File(text.into_bytes().into()),
        mode: 0o644,
        uid: 0,
        gid: 0,
        implicit: false,
    }
}

fn account_error(file: &'static str, index: usize, name: &str, message: String) -> Error {
    let entry = if name.is_empty() {
        format!("#{}", index + 1)
    } else {
        format!("{name:?}")
    };
    Error::Account {
        file,
        entry,
        message,
    }
}

/// Debian's `useradd` rule, `[a-z_][a-z0-9_-]*[$]?`, at most 32 characters. It also keeps
/// `:`, `,` and control characters out.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("name is empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("name is longer than {MAX_NAME_LEN} characters"));
    }
    let body = name.strip_suffix('$').unwrap_or(name);
    let mut chars = body.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    if !first_ok
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err("name does not match [a-z_][a-z0-9_-]*[$]?".into());
    }
    Ok(())
}

/// A `:` would shift the fields after it, a newline would start another entry.
fn check_field(field: &str, value: &str) -> Result<(), String> {
    match value.chars().find(|c| matches!(c, ':' | '\n' | '\0')) {
        Some(c) => Err(format!("field {field:?} contains {c:?}")),
        None => Ok(()),
    }
}

fn check_absolute(field: &str, value: &str) -> Result<(), String> {
    if value.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "field {field:?} is not an absolute path: {value:?}"
        ))
    }
}

fn check_id(field: &str, id: u32) -> Result<(), String> {
    if id > MAX_ID {
        Err(format!("{field} {id} is out of range 0..={MAX_ID}"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, uid: u32) -> User {
        User {
            name: name.into(),
            uid,
            gid: uid,
            gecos: String::new(),
            home: "/nonexistent".into(),
            shell: "/sbin/nologin".into(),
        }
    }

    fn grp(name: &str, gid: u32, members: &[&str]) -> Group {
        Group {
            name: name.into(),
            gid,
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    fn passwd_err(users: &[User]) -> String {
        passwd(users).unwrap_err().to_string()
    }

    fn group_err(groups: &[Group]) -> String {
        group(groups).unwrap_err().to_string()
    }

    #[test]
    fn distroless_defaults() {
        assert_eq!(
            passwd(&distroless_users()).unwrap(),
            "root:x:0:0:root:/root:/sbin/nologin\n\
             nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n\
             nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
        );
        assert_eq!(
            group(&distroless_groups()).unwrap(),
            "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"
        );
        let homes: Vec<_> = distroless_homes()
            .iter()
            .map(|h| h.entry().unwrap().describe())
            .collect();
        assert_eq!(homes, ["directory 0700 0:0", "directory 0700 65532:65532"]);
    }

    #[test]
    fn entries_are_root_owned_files() {
        let entry = passwd_entry(&distroless_users()).unwrap();
        assert_eq!(entry.path, "etc/passwd");
        assert_eq!((entry.mode, entry.uid, entry.gid), (0o644, 0, 0));
        assert_eq!(
            entry.kind,
            Kind::File(passwd(&distroless_users()).unwrap().into_bytes().into())
        );
        let entry = group_entry(&distroless_groups()).unwrap();
        assert_eq!(entry.path, "etc/group");
        assert_eq!(entry.mode, 0o644);
    }

    #[test]
    fn group_members_and_order_as_given() {
        let groups = [grp("zz", 9, &["b", "a"]), grp("aa", 1, &["nonroot"])];
        assert_eq!(group(&groups).unwrap(), "zz:x:9:b,a\naa:x:1:nonroot\n");
        assert_eq!(passwd(&[]).unwrap(), "");
    }

    #[test]
    fn deserializes_from_json() {
        let users: Vec<User> = serde_json::from_str(
            r#"[{"name": "app", "uid": 1000, "gid": 1000, "gecos": "App,,,",
                 "home": "/home/app", "shell": "/bin/sh"}]"#,
        )
        .unwrap();
        assert_eq!(
            passwd(&users).unwrap(),
            "app:x:1000:1000:App,,,:/home/app:/bin/sh\n"
        );
        let groups: Vec<Group> = serde_json::from_str(r#"[{"name": "app", "gid": 1000}]"#).unwrap();
        assert_eq!(groups[0].members, Vec::<String>::new());
        let home: Home =
            serde_json::from_str(r#"{"path": "/home/app", "uid": 1000, "gid": 1000, "mode": 448}"#)
                .unwrap();
        assert_eq!(home.entry().unwrap().mode, 0o700);
        let err = serde_json::from_str::<Group>(r#"{"name": "a", "gid": 1, "member": []}"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("unknown field `member`"), "{err}");
    }

    #[test]
    fn accepts_edge_names() {
        let users = [
            user("_apt", 42),
            user("machine$", 43),
            user(&"a".repeat(32), 44),
        ];
        assert!(passwd(&users).is_ok());
    }

    #[test]
    fn rejects_empty_name() {
        assert_eq!(
            passwd_err(&[user("root", 0), user("", 1)]),
            "passwd entry #2: name is empty"
        );
    }

    #[test]
    fn rejects_long_name() {
        let name = "a".repeat(33);
        assert_eq!(
            passwd_err(&[user(&name, 1)]),
            format!("passwd entry \"{name}\": name is longer than 32 characters")
        );
    }

    #[test]
    fn rejects_bad_names() {
        for name in ["Root", "1user", "-x", "a b", "a:b", "a$b", "$", "é"] {
            assert_eq!(
                passwd_err(&[user(name, 1)]),
                format!("passwd entry {name:?}: name does not match [a-z_][a-z0-9_-]*[$]?")
            );
        }
        assert_eq!(
            group_err(&[grp("a\nb", 1, &[])]),
            "group entry \"a\\nb\": name does not match [a-z_][a-z0-9_-]*[$]?"
        );
    }

    #[test]
    fn rejects_colon_in_field() {
        let mut u = user("nonroot", 65532);
        u.gecos = "a:b".into();
        assert_eq!(
            passwd_err(&[u]),
            "passwd entry \"nonroot\": field \"gecos\" contains ':'"
        );
    }

    #[test]
    fn rejects_newline_in_field() {
        let mut u = user("nonroot", 65532);
        u.home = "/home/x\nevil::0:0::/:/bin/sh".into();
        assert_eq!(
            passwd_err(&[u]),
            "passwd entry \"nonroot\": field \"home\" contains '\\n'"
        );
    }

    #[test]
    fn rejects_nul_in_field() {
        let mut u = user("nonroot", 65532);
        u.shell = "/bin/sh\0".into();
        assert_eq!(
            passwd_err(&[u]),
            "passwd entry \"nonroot\": field \"shell\" contains '\\0'"
        );
    }

    #[test]
    fn rejects_relative_home() {
        let mut u = user("app", 1000);
        u.home = "home/app".into();
        assert_eq!(
            passwd_err(&[u]),
            "passwd entry \"app\": field \"home\" is not an absolute path: \"home/app\""
        );
    }

    #[test]
    fn rejects_relative_shell() {
        let mut u = user("app", 1000);
        u.shell = String::new();
        assert_eq!(
            passwd_err(&[u]),
            "passwd entry \"app\": field \"shell\" is not an absolute path: \"\""
        );
    }

    #[test]
    fn rejects_reserved_uid() {
        assert_eq!(
            passwd_err(&[user("x", 4294967294), user("y", u32::MAX)]),
            "passwd entry \"y\": uid 4294967295 is out of range 0..=4294967294"
        );
    }

    #[test]
    fn rejects_reserved_gid() {
        let mut u = user("x", 1);
        u.gid = u32::MAX;
        assert_eq!(
            passwd_err(&[u]),
            "passwd entry \"x\": gid 4294967295 is out of range 0..=4294967294"
        );
        assert_eq!(
            group_err(&[grp("x", u32::MAX, &[])]),
            "group entry \"x\": gid 4294967295 is out of range 0..=4294967294"
        );
    }

    #[test]
    fn rejects_duplicate_user_name() {
        assert_eq!(
            passwd_err(&[user("root", 0), user("root", 1)]),
            "passwd entry \"root\": name appears more than once"
        );
    }

    #[test]
    fn rejects_duplicate_uid() {
        assert_eq!(
            passwd_err(&[user("root", 0), user("toor", 0)]),
            "passwd entry \"toor\": uid 0 is already used by \"root\""
        );
    }

    #[test]
    fn rejects_duplicate_group_name() {
        assert_eq!(
            group_err(&[grp("staff", 50, &[]), grp("staff", 51, &[])]),
            "group entry \"staff\": name appears more than once"
        );
    }

    #[test]
    fn rejects_duplicate_gid() {
        assert_eq!(
            group_err(&[grp("staff", 50, &[]), grp("users", 50, &[])]),
            "group entry \"users\": gid 50 is already used by \"staff\""
        );
    }

    #[test]
    fn rejects_bad_member() {
        assert_eq!(
            group_err(&[grp("staff", 50, &["ok", "a,b"])]),
            "group entry \"staff\": member \"a,b\" is not a valid user name"
        );
    }

    #[test]
    fn rejects_repeated_member() {
        assert_eq!(
            group_err(&[grp("staff", 50, &["a", "b", "a"])]),
            "group entry \"staff\": member \"a\" is listed twice"
        );
    }

    #[test]
    fn rejects_bad_homes() {
        let home = |path: &str, mode| Home {
            path: path.into(),
            uid: 1,
            gid: 1,
            mode,
        };
        assert_eq!(
            home("home/app", 0o755).entry().unwrap_err().to_string(),
            "home directory \"home/app\": field \"path\" is not an absolute path: \"home/app\""
        );
        assert_eq!(
            home("/", 0o755).entry().unwrap_err().to_string(),
            "home directory \"/\": is the root directory"
        );
        assert_eq!(
            home("/home/../etc", 0o755).entry().unwrap_err().to_string(),
            "/home/../etc: path contains \"..\""
        );
        assert_eq!(
            home("/home/app", 0o10755).entry().unwrap_err().to_string(),
            "home directory \"/home/app\": mode 0o10755 has bits beyond 0o7777"
        );
        let entry = home("/home//app/", 0o750).entry().unwrap();
        assert_eq!(entry.path, "home/app");
        assert_eq!(entry.describe(), "directory 0750 1:1");
    }
}
