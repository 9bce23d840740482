/** Name and version the kernel's `_model_module` / `_model_module_version` refer to. */
export const MODULE_NAME = '@pann-aet/jupyterlab';
export const MODULE_VERSION = '0.1.0';
