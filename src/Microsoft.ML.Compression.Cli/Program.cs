using System.Reflection;
using Microsoft.ML.Compression.Cli.Commands;

namespace Microsoft.ML.Compression.Cli;

/// <summary>The entry point: parses the verb, runs it, and turns failures into one stderr line and an exit code.</summary>
public static class Program
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "help", "json", "plain", "verbose", "exact-rate", "all-int8", "sensitivity" };

    /// <summary>Runs mlnet-compress with <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Main(string[] args)
    {
        bool verbose = args.Contains("--verbose");
        try
        {
            if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
            {
                (args.Length == 0 ? Console.Error : Console.Out).Write(HelpText.Overview);
                return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
            }
            if (args[0] == "--version")
            {
                Console.WriteLine(typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");
                return ExitCodes.Ok;
            }
            CommandLine line = CommandLine.Parse(args, Flags);
            string help = HelpText.For(line.Verb)
                ?? throw CliException.Usage($"Unknown verb '{line.Verb}'; the verbs are inspect, quantize, qat, prune, train, sweep, report (mlnet-compress --help).");
            // Global flags every verb accepts (inspect and report have no log or progress of their own to change).
            line.Has("verbose");
            line.Has("plain");
            if (line.Has("help"))
            {
                Console.Write(help);
                return ExitCodes.Ok;
            }
            return line.Verb switch
            {
                "inspect" => InspectCommand.Run(line),
                "quantize" => QuantizeCommand.Run(line),
                "qat" => TrainingCommands.Qat(line),
                "prune" => TrainingCommands.Prune(line),
                "train" => TrainingCommands.Train(line),
                "sweep" => SweepCommand.Run(line),
                _ => ReportCommand.Run(line),
            };
        }
        catch (CliException e)
        {
            Fail(e.Message, e, verbose);
            return e.ExitCode;
        }
        catch (OperationCanceledException e)
        {
            Fail("cancelled; no model was written.", e, verbose);
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            Fail($"unexpected {e.GetType().Name}: {e.Message}{(verbose ? "" : " (--verbose shows the stack trace)")}", e, verbose);
            return ExitCodes.Unexpected;
        }
    }

    private static void Fail(string message, Exception e, bool verbose)
    {
        Console.Error.WriteLine("mlnet-compress: error: " + message.ReplaceLineEndings(" "));
        if (verbose) Console.Error.WriteLine(e);
    }
}
