// The algorithm the LangPack conformance tests run: see
// examples/csharp/README.md for what each input does.

using System;
using System.Diagnostics;

namespace Examples
{
    public class ConformanceError : Exception
    {
        public ConformanceError(string message) : base(message) { }

        // The runner reports this as the error type.
        public string ErrorType
        {
            get { return "ConformanceError"; }
        }
    }

    public class Conformance
    {
        public object Apply(object input)
        {
            var text = input as string;
            if (text == null)
                return input; // a byte[] stays binary, anything else JSON
            switch (text)
            {
                case "fail":
                    throw new ConformanceError("conformance failure");
                case "print":
                    Console.Out.WriteLine("to stdout");
                    Console.Out.Flush();
                    Console.Error.WriteLine("to stderr");
                    Console.Error.Flush();
                    return "printed";
                case "crash":
                    Environment.Exit(3);
                    return null;
                case "pid":
                    return Process.GetCurrentProcess().Id;
                default:
                    return "hello " + text;
            }
        }
    }
}
