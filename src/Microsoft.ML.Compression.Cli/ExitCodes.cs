namespace Microsoft.ML.Compression.Cli;

/// <summary>The process exit codes of mlnet-compress, stable for scripts (listed in <c>--help</c> and the README).</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>Something unexpected failed (a bug, out of memory...); <c>--verbose</c> prints the stack trace.</summary>
    public const int Unexpected = 1;

    /// <summary>Bad command line: unknown verb or option, a missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>The model file: missing, unreadable, not ONNX, or an op the importer cannot read.</summary>
    public const int InputFile = 3;

    /// <summary>The images: none found, unreadable, a bad label folder or file, sizes that do not fit the model.</summary>
    public const int Data = 4;

    /// <summary>Stopped by Ctrl+C (the shells' 128 + SIGINT); nothing is written.</summary>
    public const int Cancelled = 130;
}

/// <summary>An error the tool reports as one line on stderr with its own exit code (see <see cref="ExitCodes"/>).</summary>
public sealed class CliException : Exception
{
    /// <summary>Creates the error; <paramref name="message"/> names the file or option and what was expected.</summary>
    public CliException(int exitCode, string message, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }

    /// <summary>A command-line error (exit code 2).</summary>
    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    /// <summary>A model file error (exit code 3).</summary>
    public static CliException InputFile(string message, Exception? inner = null) => new(ExitCodes.InputFile, message, inner);

    /// <summary>A data error (exit code 4).</summary>
    public static CliException BadData(string message, Exception? inner = null) => new(ExitCodes.Data, message, inner);
}
