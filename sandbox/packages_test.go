package sandbox

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// needPackages returns the packages manifest, skipping the test when
// `make packages` has not run (failing under WASMPLAY_REQUIRE_RUNTIMES).
func needPackages(t *testing.T) *runtimes.PackagesManifest {
	t.Helper()
	needRuntime(t, "python")
	dir := testLocal(t).Registry().BinDir()
	testenv.Need(t, filepath.Join(dir, runtimes.PackagesDir, runtimes.PackagesManifestFile), "the Python packages", "make packages")
	m, err := runtimes.ReadPackages(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPackages_DefaultSetWorks uses each default package the way LLM code
// does, in one real run.
func TestPackages_DefaultSetWorks(t *testing.T) {
	needPackages(t)
	cases := []struct{ name, code, want string }{
		{"tabulate", `from tabulate import tabulate
print(tabulate([["a", 1], ["b", 22]], headers=["k", "v"], tablefmt="plain").splitlines()[-1].split())`, "['b', '22']"},
		{"dateutil", `from dateutil import parser, relativedelta
d = parser.parse("2024-01-31") + relativedelta.relativedelta(months=1)
print(d.date())`, "2024-02-29"},
		{"six", `import six; print(six.PY3)`, "True"},
		{"jinja2", `import jinja2
print(jinja2.Template("{% for x in xs %}{{ x|upper }}{% endfor %}").render(xs=["a", "b"]))`, "AB"},
		{"markupsafe", `from markupsafe import escape; print(escape("<b>"))`, "&lt;b&gt;"},
		{"yaml", `import yaml; print(yaml.safe_load("a: [1, 2]")["a"][1])`, "2"},
		{"attrs", `import attrs
@attrs.define
class P:
    x: int
print(P(3))`, "P(x=3)"},
		{"idna", `import idna; print(idna.encode("bücher.example").decode())`, "xn--bcher-kva.example"},
		{"charset_normalizer", `from charset_normalizer import from_bytes
print(from_bytes("héllo wörld, ça va très bien".encode("utf-8")).best().encoding)`, "utf_8"},
		{"defusedxml", `import defusedxml.ElementTree as ET
try:
    ET.fromstring('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
except Exception as e:
    print(type(e).__name__)`, "EntitiesForbidden"},
		{"markdown", `import markdown; print(markdown.markdown("*hi*"))`, "<p><em>hi</em></p>"},
		{"packaging", `from packaging.version import Version; print(Version("1.10") > Version("1.9"))`, "True"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(tc.code)})
			if res.Outcome != run.OutcomeOK {
				t.Fatalf("%s: %s %s", tc.name, res.Outcome, res.Stderr)
			}
			if got := strings.TrimSpace(string(res.Stdout)); got != tc.want {
				t.Errorf("printed %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPackages_ReadOnly checks guest code cannot change the packages other
// runs import.
func TestPackages_ReadOnly(t *testing.T) {
	needPackages(t)
	code := `import os, yaml
path = os.path.join(os.path.dirname(yaml.__file__), "__init__.py")
for attempt in (lambda: open(path, "a").write("x = 1\n"),
                lambda: open("` + runtimes.SitePackagesGuest + `/evil.py", "w").write("1"),
                lambda: os.remove(path)):
    try:
        attempt()
        print("WROTE")
    except OSError as e:
        print("refused", e.errno)
`
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(code)})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("%s %s", res.Outcome, res.Stderr)
	}
	out := string(res.Stdout)
	if strings.Contains(out, "WROTE") || strings.Count(out, "refused") != 3 {
		t.Errorf("writes into site-packages were not all refused:\n%s", out)
	}
}

// TestPackages_ManifestMatchesFiles checks the installed tree is the one
// the manifest describes.
func TestPackages_ManifestMatchesFiles(t *testing.T) {
	m := needPackages(t)
	dir := testLocal(t).Registry().BinDir() + "/" + runtimes.PackagesDir
	if err := m.Verify(dir); err != nil {
		t.Fatal(err)
	}
	if len(m.Modules()) == 0 {
		t.Fatal("manifest lists no modules")
	}
}
