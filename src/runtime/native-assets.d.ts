// Files imported `with { type: "file" }` (src/binary-entry.ts) give the path Bun serves them from.
declare module "*.so.1" {
  const path: string;
  export default path;
}
