import SwathCLI

SwathCommand.runMain()
