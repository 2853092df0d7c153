// Command polarlite-go-example checks permissions with polarlite from Go,
// through database/sql and github.com/mattn/go-sqlite3.
//
//	go run . -ext ../../polarlite.so -db demo.db -policy ../../sql/gitclub.polar
//
// The extension is loaded on every connection the pool opens (ConnectHook).
// Go's driver needs the entry point by name: sqlite3_polarlite_init. Build
// go-sqlite3 against the system's SQLite with the libsqlite3 tag (Debian's
// golang-github-mattn-go-sqlite3-dev ships no copy of SQLite):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -tags libsqlite3 -o example .
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"

	sqlite3 "github.com/mattn/go-sqlite3"
)

func main() {
	ext := flag.String("ext", "./polarlite.so", "path of the polarlite extension")
	dbPath := flag.String("db", "example.db", "the database")
	policy := flag.String("policy", "sql/gitclub.polar", "a Polar policy file to load")
	flag.Parse()

	sql.Register("sqlite3_polarlite", &sqlite3.SQLiteDriver{
		ConnectHook: func(conn *sqlite3.SQLiteConn) error {
			return conn.LoadExtension(*ext, "sqlite3_polarlite_init")
		},
	})
	db, err := sql.Open("sqlite3_polarlite", *dbPath)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	src, err := os.ReadFile(*policy)
	if err != nil {
		log.Fatal(err)
	}
	var version int
	if err := db.QueryRow("SELECT polar_load(?, ?)", string(src), *policy).Scan(&version); err != nil {
		log.Fatalf("polar_load: %v", err)
	}
	fmt.Printf("policy version %d\n", version)

	// Facts: values are spelled Type:id; plain text is a String.
	for _, f := range [][]string{
		{"has_role", "User:alice", "admin", "Organization:acme"},
		{"has_relation", "Repository:anvil", "parent", "Organization:acme"},
	} {
		if _, err := db.Exec("SELECT polar_insert(?, ?, ?, ?)", f[0], f[1], f[2], f[3]); err != nil {
			log.Fatalf("polar_insert: %v", err)
		}
	}

	var ok int
	check := "SELECT authorize(?, ?, ?)"
	if err := db.QueryRow(check, "User:alice", "push", "Repository:anvil").Scan(&ok); err != nil {
		log.Fatalf("authorize: %v", err)
	}
	fmt.Printf("alice push anvil: %d\n", ok)
	if err := db.QueryRow(check, "User:bob", "push", "Repository:anvil").Scan(&ok); err != nil {
		log.Fatalf("authorize: %v", err)
	}
	fmt.Printf("bob push anvil: %d\n", ok)

	rows, err := db.Query("SELECT id FROM polar_list(?, ?, ?)", "User:alice", "read", "Repository")
	if err != nil {
		log.Fatalf("polar_list: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("alice reads repository %s\n", id)
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}

	// A bad value is an error naming the argument, not a silent 0.
	if err := db.QueryRow(check, "User:alice", "push", "Repostory:anvil").Scan(&ok); err != nil {
		fmt.Printf("error: %v\n", err)
	}
}
