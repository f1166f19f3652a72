// A problem found while reading ARC data: plain data plus a one-line description.

/** Fields of a load error; see LoadError. */
export interface LoadErrorFields {
  /** The file as the user named it ("<stdin>" for standard input). */
  file: string;
  /** The task the problem belongs to, when there is one. */
  taskId?: string;
  /** Where inside the task: "train[1].output row 3", "test[0].input", ... */
  path?: string;
  /** What was wrong: "5 cells, expected 6". */
  message: string;
  /** 1-based position in the text, for malformed JSON. */
  line?: number;
  column?: number;
}

/**
 * One problem with ARC data. toString() gives e.g.
 * `evaluation.json: task 00576224 train[1].output row 3: 5 cells, expected 6`.
 */
export class LoadError implements LoadErrorFields {
  readonly file: string;
  readonly taskId?: string;
  readonly path?: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;

  constructor(fields: LoadErrorFields) {
    this.file = fields.file;
    this.message = fields.message;
    if (fields.taskId !== undefined) this.taskId = fields.taskId;
    if (fields.path !== undefined && fields.path !== "") this.path = fields.path;
    if (fields.line !== undefined) this.line = fields.line;
    if (fields.column !== undefined) this.column = fields.column;
  }

  toString(): string {
    let where = this.file;
    if (this.taskId !== undefined) where += `: task ${this.taskId}`;
    if (this.path !== undefined) where += this.taskId !== undefined ? ` ${this.path}` : `: ${this.path}`;
    return `${where}: ${this.message}`;
  }

  /** Plain fields plus the text, for --json output. */
  toJSON(): LoadErrorFields & { text: string } {
    return { ...this, text: this.toString() };
  }
}
