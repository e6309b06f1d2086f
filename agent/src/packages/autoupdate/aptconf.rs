//! Just enough of apt.conf(5)'s syntax to find a setting: `Key "value";`
//! assignments, `Scope { … };` nesting (`APT { Periodic { X "1"; }; };` is
//! `APT::Periodic::X`), `//`, `#` and `/* */` comments. Lists of bare
//! values are skipped; `#include` and `#clear` are not followed.

/// One `Key "value";` with its full key and the line it was written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    End,
}

/// The tokens of `text`, each with its 1-based line.
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '{' => out.push((Token::Open, line)),
            '}' => out.push((Token::Close, line)),
            ';' => out.push((Token::End, line)),
            '"' => {
                let start = line;
                let mut value = String::new();
                for c in chars.by_ref() {
                    match c {
                        '"' => break,
                        '\n' => {
                            line += 1;
                            value.push(c);
                        }
                        c => value.push(c),
                    }
                }
                out.push((Token::Quoted(value), start));
            }
            '#' => while chars.next_if(|&c| c != '\n').is_some() {},
            '/' if chars.peek() == Some(&'/') => while chars.next_if(|&c| c != '\n').is_some() {},
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                    }
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            c => {
                let mut word = String::from(c);
                while let Some(c) = chars.next_if(|&c| !c.is_whitespace() && !"{};\"".contains(c)) {
                    word.push(c);
                }
                out.push((Token::Word(word), line));
            }
        }
    }
    out
}

/// Every assignment in `text`, in order.
pub fn assignments(text: &str) -> Vec<Assignment> {
    let tokens = tokens(text);
    let mut scopes: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i].0 {
            Token::Word(key) => match tokens.get(i + 1).map(|t| &t.0) {
                Some(Token::Open) => {
                    scopes.push(key.clone());
                    i += 2;
                }
                Some(Token::Quoted(value) | Token::Word(value)) => {
                    let mut full = scopes.clone();
                    full.push(key.clone());
                    out.push(Assignment {
                        key: full.join("::"),
                        value: value.clone(),
                        line: tokens[i].1,
                    });
                    i += 2;
                }
                _ => i += 1,
            },
            Token::Close => {
                scopes.pop();
                i += 1;
            }
            // List items, stray `;`, a `{` without a key.
            Token::Quoted(_) | Token::Open | Token::End => i += 1,
        }
    }
    out
}

/// Whether apt reads a file of `apt.conf.d` with this name: only letters,
/// digits, `_`, `-` and `.`, and no extension or `.conf` (so a
/// `.dpkg-old` or `.ucf-dist` left by an upgrade is ignored, as apt
/// ignores it).
pub fn is_read_by_apt(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && name.rsplit_once('.').is_none_or(|(_, ext)| ext == "conf")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_nested_forms() {
        let text = "\
// the Debian default
APT::Periodic::Update-Package-Lists \"1\";
APT::Periodic::Unattended-Upgrade \"1\"; // on
/* a block
   comment */ # and a hash one
APT {
  Periodic {
    Unattended-Upgrade \"0\";
  };
};
Unattended-Upgrade::Origins-Pattern {
        \"origin=Debian,codename=${distro_codename},label=Debian-Security\";
};
Unattended-Upgrade::Mail root;
";
        let found = assignments(text);
        let keys: Vec<_> = found
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str(), a.line))
            .collect();
        assert_eq!(
            keys,
            [
                ("APT::Periodic::Update-Package-Lists", "1", 2),
                ("APT::Periodic::Unattended-Upgrade", "1", 3),
                ("APT::Periodic::Unattended-Upgrade", "0", 8),
                ("Unattended-Upgrade::Mail", "root", 14),
            ]
        );
    }

    #[test]
    fn file_names_apt_reads() {
        assert!(is_read_by_apt("20auto-upgrades"));
        assert!(is_read_by_apt("99local.conf"));
        assert!(!is_read_by_apt("50unattended-upgrades.ucf-dist"));
        assert!(!is_read_by_apt("20auto-upgrades.dpkg-old"));
        assert!(!is_read_by_apt("20auto upgrades"));
    }
}
