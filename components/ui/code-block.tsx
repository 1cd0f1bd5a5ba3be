import { CopyButton } from "./copy-button";

interface CodeBlockProps {
  /** Id of the code element (the copy button reads its text). Unique per page. */
  id: string;
  code: string;
  /** Caption shown above the code. Without it, the block is one compact row. */
  label?: string;
  /** What the copy button copies, for its accessible name ("Copy issuer URL"). */
  copyWhat: string;
  className?: string;
}

/** A dark code block with a copy button. The code stays selectable without JavaScript. */
export function CodeBlock({ id, code, label, copyWhat, className = "" }: CodeBlockProps) {
  const pre = (
    <pre className="min-w-0 flex-1 overflow-x-auto px-4 py-3.5 font-mono text-sm leading-relaxed text-code-fg">
      <code id={id}>{code}</code>
    </pre>
  );
  if (!label) {
    return (
      <div className={`flex items-center gap-2 rounded-xl bg-code-bg pr-3 shadow-sm dark:ring-1 dark:ring-white/10 ${className}`}>
        {pre}
        <CopyButton targetId={id} what={copyWhat} />
      </div>
    );
  }
  return (
    <figure className={`overflow-hidden rounded-xl bg-code-bg shadow-sm dark:ring-1 dark:ring-white/10 ${className}`}>
      <div className="flex items-center justify-between gap-3 border-b border-white/10 py-2 pl-4 pr-3">
        <figcaption className="truncate text-xs font-medium text-code-muted">{label}</figcaption>
        <CopyButton targetId={id} what={copyWhat} />
      </div>
      {pre}
    </figure>
  );
}
