// The code quoted by README.md's and docs/*.md's C++ blocks lives in examples/ between
// `// [snippet:NAME]` and `// [/snippet:NAME]` lines; cmake/snippets.cmake (ctest docs.snippets) checks
// that the quotes are identical, and `cmake -DMODE=update -P cmake/snippets.cmake` refreshes them.
// This directory holds the snippets of the guides, one file per guide, built as one program
// (example_docs). The functions below run the snippets that need no network and no server; the others
// are compiled only.
#pragma once

namespace docs {
bool run_management();
bool run_receiving();
bool run_schemes();
bool run_standard_webhooks();
bool run_transport_and_retries();
} // namespace docs
