/**
 * Acceptance cases for objects, references and combinators.
 */
import type {SchemaCase} from "./schemaCase.ts";

const person = {
  type: "object",
  properties: {name: {type: "string"}, age: {type: "integer"}, nick: {type: "string"}},
  required: ["name", "age"],
  additionalProperties: false
};

export const OBJECT_CASES: readonly SchemaCase[] = [
  {
    name: "required and optional properties, additionalProperties false",
    schema: person,
    valid: [{name: "Ann", age: 31}, {name: "Bo", age: 0, nick: "b"}, {name: "", age: -4, nick: "\"quoted\" \\ é 😀\n"}],
    validTexts: ['{"name": "Ann", "age": 31}', '{ "name":"x","age":1 }', '{\n  "name": "x",\n  "age": 1\n}'],
    invalid: [{name: "Ann"}, {age: 3}, {name: "Ann", age: 3, extra: 1}, {name: 3, age: 3}, {name: "Ann", age: 1.5}, {name: "A", age: 1, nick: null}],
    rejectedTexts: ['{"age": 31, "name": "Ann"}', '{"name": "Ann", "age": 31} ', ' {"name": "Ann", "age": 31}', '{"name": "Ann", "age": 31}\n',
      '{"name" : "Ann", "age": 31}', `{"name":${" ".repeat(22)}"Ann", "age": 31}`, '{"name": "A\tB", "age": 1}', '{"name": "A\\qB", "age": 1}']
  },
  {
    name: "leading optional properties before a required one",
    schema: {type: "object", properties: {a: {type: "string"}, b: {type: "number"}, c: {type: "boolean"}, d: {type: "null"}}, required: ["c"]},
    valid: [{c: true}, {a: "x", c: false}, {b: 1.5, c: true}, {a: "", b: -2, c: true}, {c: true, d: null}, {a: "q", b: 0, c: false, d: null}],
    invalid: [{}, {a: "x"}, {a: "x", b: 1}, {c: "true"}],
    rejectedTexts: ['{,"c": true}', '{"a": "x",, "c": true}', '{"a": "x", "c": true,}']
  },
  {
    name: "all properties optional",
    schema: {type: "object", properties: {a: {type: "integer"}, b: {type: "integer"}}},
    valid: [{}, {a: 1}, {b: 2}, {a: 1, b: 2}],
    validTexts: ["{}", "{ }", "{\n}"],
    invalid: [{a: "1"}],
    rejectedTexts: ['{"b": 2, "a": 1}', '{"a": 1, "c": 3}', "{,}"]
  },
  {
    name: "additionalProperties true allows extra string keys, never a declared one twice",
    schema: {type: "object", properties: {id: {type: "integer"}}, required: ["id"], additionalProperties: true},
    valid: [{id: 1}, {id: 1, note: "x", other: [1, {a: null}]}, {id: 2, i: true, idx: 0, "": 1}],
    invalid: [{note: "x"}, {id: "1"}],
    rejectedTexts: ['{"id": 1, "id": 2}', '{"id": 1, 2: 3}']
  },
  {
    name: "additionalProperties as a schema",
    schema: {type: "object", additionalProperties: {type: "number"}},
    valid: [{}, {a: 1}, {a: 1, b: 2.5}],
    invalid: [{a: "x"}, {a: 1, b: null}]
  },
  {
    name: "a free-form object declaring no keys takes any members",
    schema: {type: "object", properties: {meta: {type: "object"}}, required: ["meta"], additionalProperties: false},
    valid: [{meta: {}}, {meta: {a: [1, {b: null}], c: "d"}}],
    invalid: [{meta: []}, {meta: null}]
  },
  {
    name: "type missing but properties present means object",
    schema: {properties: {x: {type: "integer"}}, required: ["x"]},
    valid: [{x: 1}],
    rejectedTexts: ["1", '"x"', "null", "[]"]
  },
  {
    name: "anyOf and oneOf branches",
    schema: {type: "object", properties: {v: {anyOf: [{type: "string"}, {type: "integer"}]}, w: {oneOf: [{type: "boolean"}, {type: "array", items: {type: "integer"}}]}}, required: ["v", "w"]},
    valid: [{v: "a", w: true}, {v: 3, w: [1, 2]}, {v: -1, w: []}],
    invalid: [{v: null, w: true}, {v: "a", w: "b"}, {v: 1.5, w: false}]
  },
  {
    name: "nullable through a type array, also for objects with properties",
    schema: {type: "object", properties: {s: {type: ["string", "null"]}, o: {type: ["object", "null"], properties: {k: {type: "integer"}}, required: ["k"], additionalProperties: false}}, required: ["s", "o"]},
    valid: [{s: null, o: null}, {s: "x", o: {k: 1}}, {s: null, o: {k: -5}}],
    invalid: [{s: 1, o: null}, {s: null, o: {}}, {s: null, o: {k: "1"}}, {s: null}]
  },
  {
    name: "nullable through anyOf with a null branch, and OpenAPI nullable",
    schema: {type: "object", properties: {a: {anyOf: [{type: "integer"}, {type: "null"}]}, b: {type: "string", nullable: true}, c: {type: "string", const: "on", nullable: true}}, required: ["a", "b", "c"]},
    valid: [{a: null, b: null, c: "on"}, {a: 5, b: "x", c: "on"}],
    invalid: [{a: "5", b: null, c: "on"}, {a: null, b: 5, c: "on"}, {a: null, b: null, c: null}]
  },
  {
    name: "$ref into $defs, and a recursive tree",
    schema: {$ref: "#/$defs/Node", $defs: {Node: {type: "object", properties: {value: {type: "integer"}, children: {type: "array", items: {$ref: "#/$defs/Node"}}}, required: ["value", "children"], additionalProperties: false}}},
    valid: [{value: 1, children: []}, {value: 1, children: [{value: 2, children: [{value: 3, children: []}]}, {value: 4, children: []}]}],
    invalid: [{value: 1}, {value: 1, children: [{value: "2", children: []}]}, {value: 1, children: [{value: 2}]}]
  },
  {
    name: "$ref into definitions, shared by two properties",
    schema: {type: "object", properties: {home: {$ref: "#/definitions/Address"}, work: {$ref: "#/definitions/Address"}}, required: ["home", "work"], definitions: {Address: {type: "object", properties: {city: {type: "string"}}, required: ["city"], additionalProperties: false}}},
    valid: [{home: {city: "A"}, work: {city: "B"}}],
    invalid: [{home: {city: "A"}, work: {}}, {home: {city: 1}, work: {city: "B"}}]
  },
  {
    name: "recursion through the root ($ref: #)",
    schema: {type: "object", properties: {name: {type: "string"}, next: {anyOf: [{$ref: "#"}, {type: "null"}]}}, required: ["name", "next"], additionalProperties: false},
    valid: [{name: "a", next: null}, {name: "a", next: {name: "b", next: {name: "c", next: null}}}],
    invalid: [{name: "a", next: {name: "b"}}, {name: "a", next: 1}]
  },
  {
    name: "allOf merging object schemas and a single $ref",
    schema: {allOf: [{$ref: "#/$defs/Base"}, {type: "object", properties: {extra: {type: "boolean"}}, required: ["extra"]}], $defs: {Base: {type: "object", properties: {id: {type: "integer", minimum: 1}}, required: ["id"]}}},
    valid: [{id: 1, extra: true}, {id: 99, extra: false}],
    invalid: [{id: 0, extra: true}, {id: 1}, {extra: true}]
  },
  {
    name: "allOf with a single $ref and a description beside it",
    schema: {type: "object", properties: {p: {allOf: [{$ref: "#/$defs/P"}], description: "a point"}}, required: ["p"], $defs: {P: {type: "array", items: {type: "number"}, minItems: 2, maxItems: 2}}},
    valid: [{p: [1, 2]}, {p: [0.5, -3]}],
    invalid: [{p: [1]}, {p: [1, 2, 3]}]
  },
  {
    name: "allOf where one member forbids the other's optional property",
    schema: {allOf: [{type: "object", properties: {a: {type: "integer"}}, additionalProperties: false}, {properties: {b: {type: "integer"}}}]},
    valid: [{}, {a: 1}],
    invalid: [{a: 1, b: 2}],
    rejectedTexts: ['{"b": 2}']
  }
];
