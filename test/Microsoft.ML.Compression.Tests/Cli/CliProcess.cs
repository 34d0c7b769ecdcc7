using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using SampleData;

namespace Microsoft.ML.Compression.Tests.Cli;

/// <summary>Runs the built mlnet-compress tool as a separate process, as a user or a script would.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit code {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    private static readonly Lazy<string> Dll = new(Locate);

    /// <summary>The build configuration these tests (and so the tool beside them) were built in.</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>The repository root.</summary>
    public static string RepositoryRoot => Path.GetDirectoryName(SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory))!;

    /// <summary>
    /// The tool's build output: the test project references the tool's project (without its assembly), so the same
    /// build (any configuration) has written it beside the repository's other outputs.
    /// </summary>
    private static string Locate()
    {
        // This assembly runs from test/<project>/bin/<configuration>/<framework>/; the tool's output has the same shape.
        string framework = Path.GetFileName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string dll = Path.Combine(RepositoryRoot, "src", "Microsoft.ML.Compression.Cli", "bin", Configuration, framework, "Microsoft.ML.Compression.Cli.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"The tool is not built at '{dll}'; build the solution (dotnet build -c {Configuration}).", dll);
        return dll;
    }

    /// <summary>Runs <c>dotnet &lt;tool dll&gt; args</c> with redirected (non-terminal) output, so progress comes as plain lines.</summary>
    public static Result Run(params string[] args) => Start("dotnet", TimeSpan.FromMinutes(3), null, new[] { Dll.Value }.Concat(args).ToArray());

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/> in <paramref name="directory"/> (null: the current one).</summary>
    public static Result Start(string program, TimeSpan timeout, string? directory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null) start.WorkingDirectory = directory;
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} ran over {timeout.TotalMinutes:F0} minutes.");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The path of the built tool's dll (run it with <c>dotnet</c>).</summary>
    public static string ToolDll => Dll.Value;

    /// <summary>The error lines the tool wrote (its stderr without progress lines).</summary>
    public static string[] Errors(Result r) =>
        r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("mlnet-compress: error:", StringComparison.Ordinal)).ToArray();
}
