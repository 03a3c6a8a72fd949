//! The per-instance verification table people read: in the `summary_table`
//! attribute, in the gate's failure, at the end of the main job. Pure text.

/// One row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// instance id
    pub instance: String,
    /// launch template version (`-` when unknown)
    pub version: String,
    /// EC2 state
    pub state: String,
    /// ECS status (`-` when not asked)
    pub ecs: String,
    /// deep-checked (`yes`/`no`)
    pub deep: String,
    /// problems and pending items, `ok` when none
    pub failing: String,
}

const HEADERS: [&str; 6] = [
    "INSTANCE",
    "VERSION",
    "STATE",
    "ECS",
    "DEEP",
    "FAILING CHECKS",
];

/// The table, at most `limit` rows (then a line saying how many were left
/// out). Every line starts with two spaces: Terraform prints diagnostic
/// lines that start with a space as they are, without re-wrapping them.
pub fn render(rows: &[Row], limit: usize) -> String {
    let shown = &rows[..rows.len().min(limit)];
    let cells = |r: &Row| {
        [
            r.instance.clone(),
            r.version.clone(),
            r.state.clone(),
            r.ecs.clone(),
            r.deep.clone(),
            r.failing.clone(),
        ]
    };
    let mut widths = HEADERS.map(str::len);
    for r in shown {
        for (w, c) in widths.iter_mut().zip(cells(r)) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: [String; 6]| {
        let mut s = String::from(" ");
        for (i, (c, w)) in cols.iter().zip(widths).enumerate() {
            s.push(' ');
            s.push_str(c);
            if i + 1 < cols.len() {
                s.push_str(&" ".repeat(w - c.chars().count() + 1));
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = vec![line(HEADERS.map(str::to_owned))];
    out.extend(shown.iter().map(|r| line(cells(r))));
    if rows.len() > shown.len() {
        out.push(format!(
            "  … and {} more instance{} (see the instances attribute)",
            rows.len() - shown.len(),
            if rows.len() - shown.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    if rows.is_empty() {
        out.push("  (no instances)".into());
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, failing: &str) -> Row {
        Row {
            instance: id.into(),
            version: "3".into(),
            state: "running".into(),
            ecs: "ACTIVE, agent 1.0.0, 0 tasks running".into(),
            deep: "yes".into(),
            failing: failing.into(),
        }
    }

    #[test]
    fn columns_line_up_and_lines_start_with_spaces() {
        let t = render(
            &[
                row("i-1", "ok"),
                row("i-0123456789abcdef0", "not registered"),
            ],
            10,
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.starts_with("  ")), "{t}");
        let col = |l: &str| l.find("running").unwrap();
        assert_eq!(col(lines[1]), col(lines[2]), "{t}");
        assert_eq!(lines[0].find("STATE"), Some(col(lines[1])), "{t}");
        assert!(lines[2].ends_with("not registered"));
    }

    #[test]
    fn long_tables_are_cut_and_empty_ones_say_so() {
        let rows: Vec<Row> = (0..5).map(|i| row(&format!("i-{i}"), "ok")).collect();
        let t = render(&rows, 2);
        assert_eq!(t.lines().count(), 4);
        assert!(t.ends_with("… and 3 more instances (see the instances attribute)"));
        assert!(render(&[], 5).ends_with("(no instances)"));
    }
}
