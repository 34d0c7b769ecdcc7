using System.Diagnostics;
using Microsoft.ML.Compression.Training;
using Spectre.Console;

namespace Microsoft.ML.Compression.Cli.Output;

/// <summary>
/// Shows long work on stderr: a Spectre.Console progress bar (one step per epoch) on a terminal, plain lines when
/// stderr is redirected, so scripts and logs get clean text. stdout carries only the verb's result.
/// </summary>
public sealed class ProgressDisplay
{
    private readonly IAnsiConsole? _console;

    private ProgressDisplay(IAnsiConsole? console) => _console = console;

    /// <summary>The terminal console, or null when the display writes plain lines.</summary>
    public IAnsiConsole? Terminal => _console;

    /// <summary>A bar on an interactive terminal, plain lines otherwise (or when <paramref name="plain"/>).</summary>
    public static ProgressDisplay Create(bool plain)
    {
        if (plain || Console.IsErrorRedirected) return new ProgressDisplay(null);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return new ProgressDisplay(console.Profile.Capabilities.Interactive ? console : null);
    }

    /// <summary>A one-line note (e.g. what was loaded).</summary>
    public void Note(string text)
    {
        if (_console is null) Console.Error.WriteLine(text);
        else _console.MarkupLine("[grey]" + Markup.Escape(text) + "[/]");
    }

    /// <summary>
    /// Runs <paramref name="work"/> under a task named <paramref name="title"/>: <paramref name="epochs"/> steps
    /// advanced by the callback handed to it (wire it to <c>CompressionOptions.OnEpoch</c>), or a spinner when null.
    /// </summary>
    public T Run<T>(string title, int? epochs, Func<Action<EpochMetrics>, T> work)
    {
        var clock = Stopwatch.StartNew();
        if (_console is null)
        {
            Console.Error.WriteLine($"{title}...");
            T plainResult = work(m => Console.Error.WriteLine($"  {m}"));
            Console.Error.WriteLine($"{title}: done in {clock.Elapsed.TotalSeconds:F1} s");
            return plainResult;
        }
        T result = default!;
        _console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: epochs ?? 1);
                task.IsIndeterminate = epochs is null;
                result = work(m =>
                {
                    task.Value = m.Epoch;
                    task.Description = Markup.Escape($"{title} - epoch {m.Epoch}/{m.Epochs}, loss {m.TrainLoss:F3}, acc {m.TrainAccuracy:P1}");
                });
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
            });
        return result;
    }
}
