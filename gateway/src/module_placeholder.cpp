// placeholder: removed when the module gains its first source
