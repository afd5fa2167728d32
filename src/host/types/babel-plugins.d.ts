// Babel 7's transform plugins ship no type declarations.
declare module "@babel/plugin-transform-parameters";
declare module "@babel/plugin-transform-destructuring";
declare module "@babel/plugin-transform-spread";
declare module "@babel/plugin-transform-exponentiation-operator";
declare module "@babel/plugin-transform-block-scoping";
