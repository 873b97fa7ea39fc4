// Command verifylog checks a comity log with Go's own transparency-log code
// (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, which the Go checksum
// database runs on), and nothing of comity's: the checkpoint's signed note, every entry
// bundle, every hash tile, the tree's root and an inclusion proof of every entry.
//
// Usage: verifylog [-checkpoint FILE] BASE_URL VERIFIER_KEY
//
// BASE_URL is where the log serves the C2SP tlog-tiles API (http://host/log). With
// -checkpoint, the checkpoint is read from FILE instead of BASE_URL/checkpoint. It prints
// "verified N entries" and exits 0, or names the first fault and exits 1.
//
// Build it in GOPATH mode against Debian's golang-golang-x-mod-dev, with no module proxy:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o verifylog .
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// C2SP tlog-tiles fixes the tile height at 8 (256 hashes or entries per tile).
const height = 8

func main() {
	checkpointFile := flag.String("checkpoint", "", "read the checkpoint from this file")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: verifylog [-checkpoint FILE] BASE_URL VERIFIER_KEY")
		os.Exit(2)
	}
	n, err := verify(strings.TrimSuffix(flag.Arg(0), "/"), flag.Arg(1), *checkpointFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifylog:", err)
		os.Exit(1)
	}
	fmt.Printf("verified %d entries\n", n)
}

func fetch(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// c2spPath is a tile's path in C2SP tlog-tiles, which is Go's without the height, and
// with "entries" for Go's "data".
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", height))
	return "tile/" + strings.Replace(p, "data/", "entries/", 1)
}

// checkpoint opens the signed note with the verifier key (c2sp.org/signed-note) and reads
// its body (c2sp.org/tlog-checkpoint): origin, size, root hash.
func checkpoint(msg []byte, vkey string) (tlog.Tree, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("the verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("the checkpoint's signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		return tlog.Tree{}, fmt.Errorf("the checkpoint is not origin, size, hash for %s", verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return tlog.Tree{}, fmt.Errorf("the checkpoint's size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("the checkpoint's root %q", lines[2])
	}
	return tlog.Tree{N: size, Hash: root}, nil
}

// bundle splits an entry bundle: each entry a big-endian u16 length and its bytes.
func bundle(data []byte) ([][]byte, error) {
	var entries [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("a truncated length")
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("a truncated entry")
		}
		entries = append(entries, data[2:2+n])
		data = data[2+n:]
	}
	return entries, nil
}

// tiles reads hash tiles from the log, for tlog.TileHashReader, which checks each one
// against the checkpoint's root before it trusts a hash in it. Each tile is fetched once.
type tiles struct {
	base  string
	known map[string][]byte
}

func (t tiles) Height() int { return height }

func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		path := c2spPath(tile)
		data, ok := t.known[path]
		if !ok {
			var err error
			if data, err = fetch(t.base + "/" + path); err != nil {
				return nil, err
			}
		}
		out[i] = data
	}
	return out, nil
}

// SaveTiles keeps the tiles that tlog.TileHashReader has checked.
func (t tiles) SaveTiles(ts []tlog.Tile, data [][]byte) {
	for i, tile := range ts {
		t.known[c2spPath(tile)] = data[i]
	}
}

func verify(base, vkey, checkpointFile string) (int64, error) {
	var msg []byte
	var err error
	if checkpointFile != "" {
		msg, err = os.ReadFile(checkpointFile)
	} else {
		msg, err = fetch(base + "/checkpoint")
	}
	if err != nil {
		return 0, err
	}
	tree, err := checkpoint(msg, vkey)
	if err != nil {
		return 0, err
	}

	// Every entry, from the entry bundles, hashed into the tree as Go's tlog hashes records
	// (RFC 6962: SHA-256(0x00 || entry)).
	stored := make(map[int64]tlog.Hash)
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, index := range indexes {
			h, ok := stored[index]
			if !ok {
				return nil, fmt.Errorf("no stored hash %d", index)
			}
			out[i] = h
		}
		return out, nil
	})
	var records []tlog.Hash
	for start := int64(0); start < tree.N; start += 1 << height {
		width := tree.N - start
		if width > 1<<height {
			width = 1 << height
		}
		tile := tlog.Tile{H: height, L: -1, N: start >> height, W: int(width)}
		data, err := fetch(base + "/" + c2spPath(tile))
		if err != nil {
			return 0, err
		}
		entries, err := bundle(data)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", c2spPath(tile), err)
		}
		if int64(len(entries)) != width {
			return 0, fmt.Errorf("%s holds %d entries, not %d", c2spPath(tile), len(entries), width)
		}
		for _, e := range entries {
			index := int64(len(records))
			hashes, err := tlog.StoredHashes(index, e, reader)
			if err != nil {
				return 0, err
			}
			for i, h := range hashes {
				stored[tlog.StoredHashIndex(0, index)+int64(i)] = h
			}
			records = append(records, tlog.RecordHash(e))
		}
	}
	root, err := tlog.TreeHash(tree.N, reader)
	if err != nil {
		return 0, err
	}
	if root != tree.Hash {
		return 0, fmt.Errorf("the %d entries hash to %v, but the checkpoint signs %v", tree.N, root, tree.Hash)
	}

	// Every hash tile the log serves is the one the entries give.
	for _, tile := range tlog.NewTiles(height, 0, tree.N) {
		want, err := tlog.ReadTileData(tile, reader)
		if err != nil {
			return 0, err
		}
		got, err := fetch(base + "/" + c2spPath(tile))
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(got, want) {
			return 0, fmt.Errorf("%s differs from the tile the entries give", c2spPath(tile))
		}
	}

	// And every entry is proved included in the signed tree from the served tiles alone,
	// as a Go sumdb client proves a record (tlog.TileHashReader checks the tiles).
	served := tlog.TileHashReader(tree, tiles{base, make(map[string][]byte)})
	for i, record := range records {
		proof, err := tlog.ProveRecord(tree.N, int64(i), served)
		if err != nil {
			return 0, fmt.Errorf("entry %d: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, int64(i), record); err != nil {
			return 0, fmt.Errorf("entry %d: %v", i, err)
		}
	}
	return tree.N, nil
}
