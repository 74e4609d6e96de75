// Maps the server's `language` field to a Monaco language id.

const MONACO_IDS: Record<string, string> = {
  rust: "rust",
  python: "python",
  typescript: "typescript",
  javascript: "javascript",
  go: "go",
  json: "javascript",
  toml: "ini",
  yaml: "yaml",
  markdown: "markdown",
  html: "html",
  css: "css",
  scss: "scss",
  shell: "shell",
  sql: "sql",
  c: "cpp",
  cpp: "cpp",
  java: "java",
  kotlin: "kotlin",
  ruby: "ruby",
  php: "php",
  swift: "swift",
  xml: "xml",
  ini: "ini",
  dockerfile: "dockerfile",
  makefile: "plaintext",
};

export function monacoLanguage(language: string | null): string {
  return (language && MONACO_IDS[language]) || "plaintext";
}
