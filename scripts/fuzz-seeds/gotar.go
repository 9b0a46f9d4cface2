// Writes a layer tar the way Go's archive/tar does (the writer behind
// docker, buildkit, ko, crane...) to the path in os.Args[1]: PAX format
// forced, so names, sub-second mtimes and user records go into typeflag
// 'x' headers named "<dir>/PaxHeaders.0/<base>". Run by
// scripts/fuzz-seeds.py; needs nothing but the Go standard library.
package main

import (
	"archive/tar"
	"os"
	"strings"
	"time"
)

func main() {
	out, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	w := tar.NewWriter(out)
	mtime := time.Unix(1700000000, 123456789)
	add := func(h *tar.Header, body string) {
		h.Format = tar.FormatPAX
		h.ModTime = mtime
		h.Size = int64(len(body))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := w.WriteHeader(h); err != nil {
			panic(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := w.Write([]byte(body)); err != nil {
				panic(err)
			}
		}
	}
	long := "usr/share/doc/" + strings.Repeat("go-wrote-this-directory-", 6) + "/copyright"
	add(&tar.Header{Typeflag: tar.TypeDir, Name: "etc/", Mode: 0o755}, "")
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/os-release", Mode: 0o644}, "ID=alpine\nVERSION_ID=3.20.0\n")
	add(&tar.Header{Typeflag: tar.TypeReg, Name: long, Mode: 0o644}, "MIT\n")
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "opt/données/café-日本.txt", Mode: 0o644}, "non-ASCII\n")
	add(&tar.Header{
		Typeflag:   tar.TypeReg,
		Name:       "app/main",
		Mode:       0o755,
		PAXRecords: map[string]string{"comment": strings.Repeat("g", 9000), "SCHILY.xattr.user.origin": "go"},
	}, "#!/bin/sh\n")
	add(&tar.Header{Typeflag: tar.TypeSymlink, Name: "lib", Linkname: "usr/lib", Mode: 0o777}, "")
	add(&tar.Header{Typeflag: tar.TypeLink, Name: "etc/os-release.bak", Linkname: "etc/os-release", Mode: 0o644}, "")
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "var/.wh.cache", Mode: 0o644}, "")
	if err := w.Close(); err != nil {
		panic(err)
	}
	if err := out.Close(); err != nil {
		panic(err)
	}
}
