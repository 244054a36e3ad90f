using BenchmarkDotNet.Running;

namespace Ripcord.Sdk.Bench;

public static class Program
{
    // dotnet run -c Release --project bench/Ripcord.Sdk.Bench -- --filter '*'
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
