// ImplicitUsings is off repository-wide; these are the namespaces nearly every file of the tool uses.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using Microsoft.ML;
