package daemon

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allowedImports is the import table of ARCHITECTURE.md: for each package
// of the module, the project packages its non-test files may import. A new
// package, or a new arrow, fails this test until the table (and the page)
// say so — except a new concrete sink, sinks/NAME, which gets the rule all
// concrete sinks share (concreteSink).
var allowedImports = map[string][]string{
	"message":                     nil,
	"listener":                    nil,
	"parser":                      {"message"},
	"router":                      {"message"},
	"sinks":                       {"message"},
	"sinks/template":              {"message"},
	"sinks/format":                {"message"},
	"sinks/journald/journaldtest": nil,
	"sinks/nats":                  append(slices.Clone(concreteSink), "natsconn"),
	"sinks/forward":               {"message", "sinks", "sinks/format"},
	"natsconn":                    nil,
	"listener/jetstream":          {"message", "natsconn"},
	"config":                      {"listener", "message", "router"},
	"stats":                       nil,
	"hosts":                       nil,
	"ratelimit":                   nil,
	"daemon":                      nil, // may import every package but cmd/ and e2e/: see allowed
	"cmd/syslogd":                 {"config", "daemon"},
	"e2e":                         nil,
}

// concreteSink is what every sinks/NAME may import.
var concreteSink = []string{"message", "sinks", "sinks/format", "sinks/template"}

// allowed reports whether pkg may import dep, and whether pkg is known.
func allowed(pkg, dep string) (ok, known bool) {
	if pkg == "daemon" {
		return dep != "e2e" && !strings.HasPrefix(dep, "cmd/"), true
	}
	if list, ok := allowedImports[pkg]; ok {
		return slices.Contains(list, dep), true
	}
	if name, ok := strings.CutPrefix(pkg, "sinks/"); ok && !strings.Contains(name, "/") {
		return slices.Contains(concreteSink, dep), true
	}
	return false, false
}

func TestImportRules(t *testing.T) {
	root := ".."
	const module = "syslogd/"
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if _, known := allowed(pkg, ""); !known {
			t.Errorf("package %s is not in the import table (daemon/imports_test.go, ARCHITECTURE.md)", pkg)
			return nil
		}
		seen[pkg] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if dep, ok := strings.CutPrefix(p, module); ok {
				if ok, _ := allowed(pkg, dep); ok {
					continue
				}
				t.Errorf("%s imports %s, which ARCHITECTURE.md does not allow", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range allowedImports {
		if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
			t.Errorf("the import table names %s, which does not exist", pkg)
		}
	}
	if len(seen) < 10 {
		t.Errorf("checked only %d packages", len(seen))
	}
}
