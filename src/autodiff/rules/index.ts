// Loads every rule file into the registry.
import "./elementwise.ts";
import "./reduce.ts";
import "./shape.ts";
import "./linalg.ts";
