// Monaco, bundled from the npm package: the editor API, the languages Mira shows, and
// the editor worker built by Vite. Nothing is loaded from a CDN.

import * as monaco from "monaco-editor/editor/editor.api";
import EditorWorker from "monaco-editor/editor/editor.worker?worker";

// editor.api carries no editor features; find (Ctrl+F) is the one a read-only viewer
// needs, since the browser's own find cannot see Monaco's virtualised lines. Its buttons
// are codicons, so the icon font comes along.
import "monaco-editor/features/find/register";
import "monaco-editor/features/codicon/register";
// Hover shows a build error's message on its squiggle; gotoError steps through them.
import "monaco-editor/features/hover/register";
import "monaco-editor/features/gotoError/register";

import "monaco-editor/languages/definitions/rust/register";
import "monaco-editor/languages/definitions/python/register";
import "monaco-editor/languages/definitions/typescript/register";
import "monaco-editor/languages/definitions/javascript/register";
import "monaco-editor/languages/definitions/go/register";
import "monaco-editor/languages/definitions/markdown/register";
import "monaco-editor/languages/definitions/yaml/register";
import "monaco-editor/languages/definitions/ini/register";
import "monaco-editor/languages/definitions/shell/register";
import "monaco-editor/languages/definitions/html/register";
import "monaco-editor/languages/definitions/css/register";
import "monaco-editor/languages/definitions/scss/register";
import "monaco-editor/languages/definitions/sql/register";
import "monaco-editor/languages/definitions/cpp/register";
import "monaco-editor/languages/definitions/java/register";
import "monaco-editor/languages/definitions/kotlin/register";
import "monaco-editor/languages/definitions/ruby/register";
import "monaco-editor/languages/definitions/php/register";
import "monaco-editor/languages/definitions/swift/register";
import "monaco-editor/languages/definitions/xml/register";
import "monaco-editor/languages/definitions/dockerfile/register";

self.MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
};

export { monaco };
