// The namespaces nearly every file of the library reads.
global using System;
global using System.Collections.Generic;
global using System.Linq;
